//! Scenario files: a region, its contract and staffing, the demand for care and how members
//! behave, as TOML. The built-in scenarios (`socal-2024`, `norcal-2022`) live in `scenarios/`
//! beside this crate, every figure with its source or marked as an assumption.
//!
//! ```toml
//! name = "socal-2024"
//! title = "Southern California, 2024"
//! rule-set = "ca-dmhc"
//!
//! [simulation]
//! start = "2023-07-01"          # first simulated date
//! months = 12                   # simulated months after the warm-up
//! warm-up-months = 6            # simulated first, not reported (the book starts empty)
//! replications = 5
//! seed = 2024
//! booking-horizon-weeks = 26    # how far past the end the calendar is open
//!
//! [region]                      # the generator's preset and what the scenario changes in it
//! preset = "socal"
//! scale = 1.0
//! seed = 1
//! members = 4800000
//! members-per-therapist = 3000
//! contract = "socal-2025"
//! network-providers = 13000
//! network-hours-per-week = 2
//!
//! [demand]
//! episodes-per-member-year = 0.115
//! urgent-share = 0.05
//! psychiatry-share = 0.10
//!
//! [episodes]
//! one-visit-share = 0.33
//! continuing-mean-sessions = 18
//! weekly-sessions = 4
//! keep-treating-clinician = 0.9
//!
//! [attendance]
//! no-show = [{ up-to-days = 0, share = 0.05 }, { up-to-days = 7, share = 0.24 }]
//! no-show-beyond = 0.33
//! member-cancellation = 0.08
//! dropout-after-no-show = 0.25
//! attend-odds-per-week-beyond = 0.95   # optional: past the curve, per week of waiting
//! discharge-after-missed-in-a-row = 2  # optional: the clinic's discharge rule
//!
//! [leave]
//! weeks-per-year = 5
//!
//! [clinic]                      # optional: how the plan's clinics and network book
//! intake-reserve-share = 0.2    # of each week's direct time, kept for new patients
//! intake-reserve-release-days = 2
//! follow-ups = "treating-clinician"   # or "timely-anywhere" (the default)
//! referral-days = 5             # a network referral's delay
//! network-acceptance = 0.7      # members who take a network referral
//! arranges-out-of-network = 0.05  # late offers the plan arranges out of network instead
//! caseload-cap = 60             # optional: open episodes before a therapist takes no new patient
//! overbook = "expected-no-shows"  # or "none" (the default): returns booked over expected no-shows
//!
//! [wages]                       # for the staffing planner
//! annual-cost-per-fte = 185000
//! yearly-raises = [0.055, 0.045, 0.045, 0.045]
//!
//! [groups]                      # optional: therapy groups
//! facilitator-share = 0.25
//! referral-share = 0.10
//! weeks = 12
//! capacity = 8
//! min-seats = 3
//!
//! [census]                      # optional: when the provider census is taken (these are the defaults)
//! business-day = 1              # the nth business day of each reported month
//! time = "10:00"                # local time of the rule set's zone
//!
//! [disruption]                  # optional: a strike, leave or closure during the run
//! reason = "strike"
//! first = "2024-10-21"
//! days = 196
//! internal-therapist-share = 0.85
//! seed = 1
//! notice-days = 10
//! ```

use caretime_core::files::{FileError, builtin, parse_toml};
use caretime_core::quote::quote;
use caretime_core::rules::RuleSet;
use caretime_core::slug::Slug;
use caretime_core::time_input::parse_date;
use caretime_engine::book::BookPolicy;
use caretime_engine::find::{FindPolicy, FollowUps, IntakeReserve};
use caretime_region::generate::RegionParams;

use crate::model::Dates;
use jiff::civil::Date;
use serde::Deserialize;

/// The scenarios shipped with caretime: (name, file text).
pub const BUILTIN: [(&str, &str); 3] = [
    ("socal-2024", include_str!("../scenarios/socal-2024.toml")),
    (
        "socal-2024-strike",
        include_str!("../scenarios/socal-2024-strike.toml"),
    ),
    ("norcal-2022", include_str!("../scenarios/norcal-2022.toml")),
];

/// A built-in scenario by name, parsed.
pub fn builtin_scenario(name: &str) -> Option<Result<Scenario, FileError>> {
    BUILTIN
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(known, text)| parse_scenario(&format!("{known}.toml"), text))
}

/// What the simulator runs: a region and the behaviour of its members and clinicians.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Short name (`socal-2024`).
    pub name: String,
    /// One line for people.
    pub title: String,
    /// The timely-access rules the book enforces and the report measures against.
    pub rules: RuleSet,
    /// The simulated time and replications.
    pub simulation: Simulation,
    /// The region, as generator parameters.
    pub region: RegionParams,
    /// Who asks for care.
    pub demand: Demand,
    /// How courses of treatment run.
    pub episodes: EpisodeModel,
    /// Who comes and who cancels.
    pub attendance: AttendanceModel,
    /// Planned leave of internal clinicians.
    pub leave: Leave,
    /// What an internal clinician costs, for the staffing planner.
    pub wages: Wages,
    /// A strike, leave or closure during the run, replanned by the engine's replanner.
    pub disruption: Option<DisruptionSpec>,
    /// Therapy groups: who runs them and who is referred.
    pub groups: GroupModel,
    /// When the provider census (the PAAS question for every provider) is taken.
    pub census: CensusPlan,
    /// How the plan's clinics and network book.
    pub clinic: ClinicPolicy,
}

/// When a simulation takes the provider census: at `time` (local, the rule set's zone) on the
/// `business_day`th business day (the rule set's calendar) of each reported month; a month with
/// fewer business days has none.
///
/// The default, 10:00 on the first business day, is an assumption: DMHC's survey reaches
/// providers' offices by telephone during business hours on business days, spread over the
/// measurement year, and a monthly survey gives a year twelve points to pool. Mid-morning is
/// after the first appointment hour has started (09:00 in the standard templates), so "next
/// available" is never a slot that has already begun.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CensusPlan {
    /// Which business day of the month, from 1.
    pub business_day: u32,
    /// The local time of day.
    pub time: jiff::civil::Time,
}

impl CensusPlan {
    /// 10:00 on the first business day of each reported month.
    pub const DEFAULT: CensusPlan = CensusPlan {
        business_day: 1,
        time: jiff::civil::Time::constant(10, 0, 0, 0),
    };

    /// The survey instants from `first` (a reported month's first date) through the month
    /// before `end`, in order.
    pub fn instants(
        &self,
        rules: &RuleSet,
        first: Date,
        end: Date,
    ) -> Option<Vec<jiff::Timestamp>> {
        let mut instants = Vec::new();
        let mut month = first.first_of_month();
        while month < end {
            // The day before the month as day 0: its nth business day after is the month's nth.
            let day0 = month.yesterday().ok()?;
            let day = rules
                .calendar()
                .nth_business_day_after(day0, self.business_day)
                .ok()?;
            let at = day
                .to_datetime(self.time)
                .to_zoned(rules.time_zone().clone())
                .ok()?
                .timestamp();
            // A month with fewer business days than asked has no survey.
            let same_month = (day.year(), day.month()) == (month.year(), month.month());
            if same_month && first <= day && day < end {
                instants.push(at);
            }
            month = month.checked_add(jiff::Span::new().months(1)).ok()?;
        }
        Some(instants)
    }
}

/// How the plan's clinics and network book: the mechanisms that shape who waits. Without a
/// `[clinic]` section every free minute goes to whoever asks first, a follow-up goes to whoever is
/// timely, the network takes a referral at once, and a late offer is booked with an
/// out-of-network arrangement recorded beside it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClinicPolicy {
    /// Internal clinicians' direct time kept for new patients.
    pub intake_reserve: IntakeReserve,
    /// Where follow-ups are offered.
    pub follow_ups: FollowUps,
    /// A network referral's delay, in days from the request.
    pub referral_days: u32,
    /// Chance that a member offered a network provider (and no internal time first) takes the
    /// referral; the others take the best internal offer, however late, or go unserved.
    pub network_acceptance: f64,
    /// What happens to a request whose best offer is late.
    pub late_offers: LateOffers,
    /// Open episodes an internal clinician treats before taking no new patient (`None`: no
    /// cap).
    pub caseload_cap: Option<u32>,
    /// Whether internal therapists' days take returns on top of booked appointments.
    pub overbooking: Overbooking,
}

/// Whether the plan's clinics book over the no-shows they expect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overbooking {
    /// One appointment to a clinician's time.
    None,
    /// A return that would wait past a day of the treating therapist's with room goes on top of
    /// an appointment that day: a day has room for as many such returns as its booked
    /// appointments' expected no-shows (from the scenario's lead-time curve) round down to, and
    /// the appointment most likely to be missed takes one (see `overbook`).
    ExpectedNoShows,
}

impl Slug for Overbooking {
    const VARIANTS: &'static [Overbooking] = &[Overbooking::None, Overbooking::ExpectedNoShows];

    /// The name a scenario file uses.
    fn slug(self) -> &'static str {
        match self {
            Overbooking::None => "none",
            Overbooking::ExpectedNoShows => "expected-no-shows",
        }
    }
}

/// What the plan does with a request whose best offer misses the deadline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LateOffers {
    /// The member books the late offer and an out-of-network arrangement is recorded beside it
    /// (the engine's record of every late offer, SB 855).
    BookAndRecord,
    /// With this chance the plan arranges care out of network (the member leaves the plan's
    /// book for it); otherwise the member books the late offer and no arrangement is made. A
    /// return booked on the treating therapist's calendar ([`FollowUps::TreatingClinician`]) is
    /// never arranged out of network.
    Arrange(f64),
}

impl ClinicPolicy {
    /// No reserve, follow-ups to whoever is timely, no referral delay, every member takes the
    /// network, late offers booked with an arrangement recorded.
    pub const OPEN: ClinicPolicy = ClinicPolicy {
        intake_reserve: IntakeReserve::NONE,
        follow_ups: FollowUps::TimelyAnywhere,
        referral_days: 0,
        network_acceptance: 1.0,
        late_offers: LateOffers::BookAndRecord,
        caseload_cap: None,
        overbooking: Overbooking::None,
    };

    /// The book's policy: the standard one with this clinic's find.
    pub fn book_policy(&self) -> BookPolicy {
        BookPolicy {
            find: FindPolicy {
                intake_reserve: self.intake_reserve,
                follow_ups: self.follow_ups,
                referral_days: self.referral_days,
                caseload_cap: self.caseload_cap,
                ..FindPolicy::STANDARD
            },
            ..BookPolicy::STANDARD
        }
    }
}

/// Therapy groups. Facilitators' templates carve a weekly group block from direct time (the
/// generator's `group_template`); each runs one weekly group over the whole run.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupModel {
    /// Share of internal non-physician clinicians who run a weekly group.
    pub facilitator_share: f64,
    /// Share of episodes referred to a group at the clinician's facility after the intake.
    pub referral_share: f64,
    /// Weekly sessions a referral lasts.
    pub weeks: u32,
    /// Seats per group (at most 12).
    pub capacity: u8,
    /// A session with fewer seats booked a day ahead is cancelled (low enrolment).
    pub min_seats: u8,
}

impl GroupModel {
    /// No groups.
    pub const NONE: GroupModel = GroupModel {
        facilitator_share: 0.0,
        referral_share: 0.0,
        weeks: 0,
        capacity: 8,
        min_seats: 0,
    };
}

/// A disruption during the run: a share of internal therapists out from a date for some days.
/// When it is announced, the replanner moves every appointment it displaces (optimally, by
/// min-cost flow), and the calendar stops offering the disrupted clinicians' time.
#[derive(Clone, Debug, PartialEq)]
pub struct DisruptionSpec {
    /// Strike, leave or closure (the cancellation reason the displaced appointments get).
    pub reason: caretime_replan::DisruptionReason,
    /// The first day out.
    pub first: Date,
    /// Days out, from `first` (calendar days).
    pub days: u32,
    /// The share of internal non-physician clinicians out, picked by `seed`.
    pub internal_therapist_share: f64,
    /// Picks who is out.
    pub seed: u64,
    /// Days between the announcement (when the replanner runs) and the first day out.
    pub notice_days: u32,
}

/// What an internal clinician costs a year, and the raises a contract schedules.
#[derive(Clone, Debug, PartialEq)]
pub struct Wages {
    /// Cost of one full-time internal clinician in the first year (salary and benefits).
    pub annual_cost_per_fte: f64,
    /// Raises in the following years, one share per year (0.05 = 5 %), compounding.
    pub yearly_raises: Vec<f64>,
}

impl Wages {
    /// The cost of one FTE in each year of the schedule: the first year, then after each raise.
    pub fn cost_by_year(&self) -> Vec<f64> {
        let mut cost = self.annual_cost_per_fte;
        let mut years = vec![cost];
        for raise in &self.yearly_raises {
            cost *= 1.0 + raise;
            years.push(cost);
        }
        years
    }
}

/// Simulated time and replications.
#[derive(Clone, Debug, PartialEq)]
pub struct Simulation {
    /// The first simulated date (the warm-up starts here).
    pub start: Date,
    /// Months simulated and reported, after the warm-up.
    pub months: u32,
    /// Months simulated first and not reported: the book starts empty, and waits need time to
    /// reach their steady level.
    pub warm_up_months: u32,
    /// Independent replications (seeds `seed`, `seed + 1`, ...).
    pub replications: u32,
    /// The first replication's seed.
    pub seed: u64,
    /// Weeks after the last simulated date that the calendar still offers (a request that finds
    /// nobody with time before then is counted unserved).
    pub booking_horizon_weeks: u32,
}

/// Who asks for care and what for.
#[derive(Clone, Debug, PartialEq)]
pub struct Demand {
    /// Episodes of care started per member per year (requests arrive as a Poisson process).
    pub episodes_per_member_year: f64,
    /// Share of new requests that are urgent (48 hours).
    pub urgent_share: f64,
    /// Share of new requests for a psychiatrist (one evaluation visit in this model).
    pub psychiatry_share: f64,
}

/// How a course of treatment runs.
#[derive(Clone, Debug, PartialEq)]
pub struct EpisodeModel {
    /// Share of episodes that end after the first visit.
    pub one_visit_share: f64,
    /// Mean number of sessions of the other episodes (2 and more, geometric beyond 2).
    pub continuing_mean_sessions: f64,
    /// Weekly sessions before the cadence becomes biweekly.
    pub weekly_sessions: u32,
    /// Chance that a member offered another clinician for a follow-up keeps their own, later.
    pub keep_treating_clinician: f64,
}

/// One step of the no-show curve: appointments booked at most `up_to_days` ahead miss with this
/// chance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NoShowStep {
    /// Lead time in whole days, inclusive.
    pub up_to_days: u32,
    /// The chance of a no-show.
    pub share: f64,
}

/// Who comes and who cancels.
#[derive(Clone, Debug, PartialEq)]
pub struct AttendanceModel {
    /// The no-show chance by lead time, steps in increasing `up_to_days`.
    pub no_show: Vec<NoShowStep>,
    /// The chance beyond the last step.
    pub no_show_beyond: f64,
    /// Chance that the member cancels a booked appointment (at a uniform time before it) and asks
    /// for another.
    pub member_cancellation: f64,
    /// Chance that a member who did not come ends the episode.
    pub dropout_after_no_show: f64,
    /// Past the curve's last step, the odds of attending are multiplied by this for each whole
    /// week beyond it (1: the curve's last share holds however long the wait).
    pub attend_odds_per_week_beyond: f64,
    /// The clinic discharges a member who missed this many appointments in a row (0: never).
    pub discharge_after_missed_in_a_row: u32,
}

impl AttendanceModel {
    /// The no-show chance for an appointment booked `lead_days` whole days ahead.
    pub fn no_show_share(&self, lead_days: u32) -> f64 {
        if let Some(step) = self
            .no_show
            .iter()
            .find(|step| lead_days <= step.up_to_days)
        {
            return step.share;
        }
        let beyond = self.no_show_beyond;
        let last = self.no_show.last().map_or(0, |step| step.up_to_days);
        let weeks = lead_days.saturating_sub(last) / 7;
        if weeks == 0 || self.attend_odds_per_week_beyond == 1.0 || beyond <= 0.0 || beyond >= 1.0 {
            return beyond;
        }
        let odds = (1.0 - beyond) / beyond
            * self
                .attend_odds_per_week_beyond
                .powi(weeks.min(1_000) as i32);
        1.0 / (1.0 + odds)
    }
}

/// Planned leave (vacation, training) of internal clinicians: known ahead, so the calendar never
/// offers it.
#[derive(Clone, Debug, PartialEq)]
pub struct Leave {
    /// Whole weeks per year, taken as separate weeks at random.
    pub weeks_per_year: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ScenarioFile {
    name: String,
    title: String,
    rule_set: String,
    simulation: SimulationFile,
    region: RegionFile,
    demand: DemandFile,
    episodes: EpisodesFile,
    attendance: AttendanceFile,
    leave: LeaveFile,
    wages: WagesFile,
    disruption: Option<DisruptionFile>,
    groups: Option<GroupsFile>,
    census: Option<CensusFile>,
    clinic: Option<ClinicFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct CensusFile {
    business_day: Option<u32>,
    time: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ClinicFile {
    #[serde(default)]
    intake_reserve_share: f64,
    #[serde(default)]
    intake_reserve_release_days: u32,
    #[serde(default)]
    follow_ups: Option<String>,
    #[serde(default)]
    referral_days: u32,
    #[serde(default)]
    network_acceptance: Option<f64>,
    #[serde(default)]
    caseload_cap: Option<u32>,
    #[serde(default)]
    arranges_out_of_network: Option<f64>,
    #[serde(default)]
    overbook: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct GroupsFile {
    facilitator_share: f64,
    referral_share: f64,
    weeks: u32,
    capacity: u8,
    min_seats: u8,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct DisruptionFile {
    reason: String,
    first: String,
    days: u32,
    internal_therapist_share: f64,
    seed: u64,
    notice_days: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct SimulationFile {
    start: String,
    months: u32,
    warm_up_months: u32,
    replications: u32,
    seed: u64,
    booking_horizon_weeks: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RegionFile {
    preset: String,
    scale: f64,
    seed: u64,
    members: Option<u64>,
    members_per_therapist: Option<u32>,
    contract: Option<String>,
    network_providers: Option<u32>,
    network_hours_per_week: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct DemandFile {
    episodes_per_member_year: f64,
    urgent_share: f64,
    psychiatry_share: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct EpisodesFile {
    one_visit_share: f64,
    continuing_mean_sessions: f64,
    weekly_sessions: u32,
    keep_treating_clinician: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct NoShowFile {
    up_to_days: u32,
    share: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct AttendanceFile {
    no_show: Vec<NoShowFile>,
    no_show_beyond: f64,
    member_cancellation: f64,
    dropout_after_no_show: f64,
    attend_odds_per_week_beyond: Option<f64>,
    discharge_after_missed_in_a_row: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct LeaveFile {
    weeks_per_year: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct WagesFile {
    annual_cost_per_fte: f64,
    yearly_raises: Vec<f64>,
}

/// The policy `name` names (`default` when the file leaves it out).
fn policy<T: Slug>(
    file: &str,
    field: &str,
    name: Option<&str>,
    default: T,
) -> Result<T, FileError> {
    let Some(name) = name else {
        return Ok(default);
    };
    T::from_slug(name).ok_or_else(|| {
        FileError::field(
            file,
            field,
            format!(
                "unknown policy `{}` (expected one of {})",
                quote(name),
                T::names()
            ),
        )
    })
}

fn share(file: &str, field: &str, value: f64) -> Result<f64, FileError> {
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(FileError::field(
            file,
            field,
            "expected a share from 0 to 1",
        ))
    }
}

/// The most replications a scenario may ask for.
pub const MAX_REPLICATIONS: u32 = 1_000;
/// The most simulated months (warm-up included).
pub const MAX_MONTHS: u32 = 120;
/// The largest share of booked appointments members cancel. Each cancellation asks for another
/// appointment, so at a share of `c` a request is booked `1 / (1 - c)` times on average: ten
/// times at this bound, and without end at 1.
pub const MAX_MEMBER_CANCELLATION: f64 = 0.9;
/// The most weekly sessions before the cadence turns biweekly (the longest mean episode).
pub const MAX_WEEKLY_SESSIONS: u32 = 200;
/// The most steps of the no-show curve (each appointment looks its step up).
pub const MAX_NO_SHOW_STEPS: usize = 100;
/// The largest annual cost of an FTE: a cost, not a sum that overflows when raises compound.
pub const MAX_ANNUAL_COST: f64 = 100_000_000.0;

/// Months simulated in all, warm-up included, if that is at most [`MAX_MONTHS`]; in 64 bits, so
/// that two large counts cannot wrap around the check.
pub fn total_months(months: u32, warm_up_months: u32) -> Option<u32> {
    let total = u64::from(months) + u64::from(warm_up_months);
    (months >= 1 && total <= u64::from(MAX_MONTHS)).then_some(total as u32)
}

/// Reads a scenario file: TOML, validated (every share within 0 to 1, months and replications in
/// range, a built-in rule set and contract, the no-show curve in increasing lead time).
pub fn parse_scenario(file: &str, text: &str) -> Result<Scenario, FileError> {
    let parsed: ScenarioFile = parse_toml(file, text)?;
    if parsed.name.is_empty() {
        return Err(FileError::field(file, "name", "expected a name"));
    }
    let rules = builtin::rule_set(&parsed.rule_set).ok_or_else(|| {
        FileError::field(
            file,
            "rule-set",
            format!(
                "unknown rule set `{}` (expected a built-in rule set)",
                quote(&parsed.rule_set)
            ),
        )
    })?;
    let simulation = {
        let sim = &parsed.simulation;
        let start: Date = parse_date(&sim.start).map_err(|_| {
            FileError::field(
                file,
                "simulation.start",
                "expected a date such as \"2025-01-06\"",
            )
        })?;
        if sim.months == 0 {
            return Err(FileError::field(
                file,
                "simulation.months",
                "must be at least 1",
            ));
        }
        if total_months(sim.months, sim.warm_up_months).is_none() {
            return Err(FileError::field(
                file,
                "simulation.months",
                format!("months and warm-up together must be at most {MAX_MONTHS}"),
            ));
        }
        if !(1..=MAX_REPLICATIONS).contains(&sim.replications) {
            return Err(FileError::field(
                file,
                "simulation.replications",
                format!("must be 1 to {MAX_REPLICATIONS}"),
            ));
        }
        if !(1..=104).contains(&sim.booking_horizon_weeks) {
            return Err(FileError::field(
                file,
                "simulation.booking-horizon-weeks",
                "must be 1 to 104",
            ));
        }
        Simulation {
            start,
            months: sim.months,
            warm_up_months: sim.warm_up_months,
            replications: sim.replications,
            seed: sim.seed,
            booking_horizon_weeks: sim.booking_horizon_weeks,
        }
    };
    let region = {
        let spec = &parsed.region;
        if spec.preset != "socal" {
            return Err(FileError::field(
                file,
                "region.preset",
                format!("unknown preset `{}` (expected socal)", quote(&spec.preset)),
            ));
        }
        if !spec.scale.is_finite() || spec.scale <= 0.0 || spec.scale > 10.0 {
            return Err(FileError::field(
                file,
                "region.scale",
                "expected a scale above 0 and at most 10",
            ));
        }
        let mut region = RegionParams::socal(spec.scale, spec.seed);
        if let Some(members) = spec.members {
            region.members = members;
        }
        if let Some(ratio) = spec.members_per_therapist {
            region.members_per_therapist = ratio;
        }
        if let Some(contract) = &spec.contract {
            if builtin::contract(contract).is_none() {
                return Err(FileError::field(
                    file,
                    "region.contract",
                    format!(
                        "unknown contract `{}` (expected a built-in contract)",
                        quote(contract)
                    ),
                ));
            }
            region.internal_contract = contract.clone();
        }
        if let Some(providers) = spec.network_providers {
            region.network_providers = providers;
        }
        if let Some(hours) = spec.network_hours_per_week {
            region.network_hours_per_week = hours;
        }
        region
            .counts()
            .map_err(|err| FileError::field(file, "region", err.to_string()))?;
        region
    };
    let demand = Demand {
        episodes_per_member_year: {
            let rate = parsed.demand.episodes_per_member_year;
            if !(0.0..=12.0).contains(&rate) {
                return Err(FileError::field(
                    file,
                    "demand.episodes-per-member-year",
                    "expected a rate from 0 to 12",
                ));
            }
            rate
        },
        urgent_share: share(file, "demand.urgent-share", parsed.demand.urgent_share)?,
        psychiatry_share: share(
            file,
            "demand.psychiatry-share",
            parsed.demand.psychiatry_share,
        )?,
    };
    if demand.urgent_share + demand.psychiatry_share > 1.0 {
        return Err(FileError::field(
            file,
            "demand",
            "urgent-share and psychiatry-share must add up to at most 1",
        ));
    }
    let episodes = EpisodeModel {
        one_visit_share: share(
            file,
            "episodes.one-visit-share",
            parsed.episodes.one_visit_share,
        )?,
        continuing_mean_sessions: {
            let mean = parsed.episodes.continuing_mean_sessions;
            if !(2.0..=200.0).contains(&mean) {
                return Err(FileError::field(
                    file,
                    "episodes.continuing-mean-sessions",
                    "expected a mean from 2 to 200 sessions",
                ));
            }
            mean
        },
        weekly_sessions: {
            let weekly = parsed.episodes.weekly_sessions;
            if weekly > MAX_WEEKLY_SESSIONS {
                return Err(FileError::field(
                    file,
                    "episodes.weekly-sessions",
                    format!("expected at most {MAX_WEEKLY_SESSIONS} sessions"),
                ));
            }
            weekly
        },
        keep_treating_clinician: share(
            file,
            "episodes.keep-treating-clinician",
            parsed.episodes.keep_treating_clinician,
        )?,
    };
    let attendance = {
        let spec = &parsed.attendance;
        if spec.no_show.len() > MAX_NO_SHOW_STEPS {
            return Err(FileError::field(
                file,
                "attendance.no-show",
                format!("expected at most {MAX_NO_SHOW_STEPS} steps"),
            ));
        }
        let mut steps = Vec::with_capacity(spec.no_show.len());
        for (idx, step) in spec.no_show.iter().enumerate() {
            let field = format!("attendance.no-show[{idx}]");
            if steps
                .last()
                .is_some_and(|last: &NoShowStep| last.up_to_days >= step.up_to_days)
            {
                return Err(FileError::field(
                    file,
                    &format!("{field}.up-to-days"),
                    "steps must be in increasing up-to-days",
                ));
            }
            steps.push(NoShowStep {
                up_to_days: step.up_to_days,
                share: share(file, &format!("{field}.share"), step.share)?,
            });
        }
        AttendanceModel {
            no_show: steps,
            no_show_beyond: share(file, "attendance.no-show-beyond", spec.no_show_beyond)?,
            member_cancellation: {
                let cancellation = spec.member_cancellation;
                if !(0.0..=MAX_MEMBER_CANCELLATION).contains(&cancellation) {
                    return Err(FileError::field(
                        file,
                        "attendance.member-cancellation",
                        format!(
                            "expected a share from 0 to {MAX_MEMBER_CANCELLATION} (each cancellation books again: at 1 without end)"
                        ),
                    ));
                }
                cancellation
            },
            dropout_after_no_show: share(
                file,
                "attendance.dropout-after-no-show",
                spec.dropout_after_no_show,
            )?,
            attend_odds_per_week_beyond: match spec.attend_odds_per_week_beyond {
                None => 1.0,
                Some(factor) if factor > 0.0 && factor <= 1.0 => factor,
                Some(_) => {
                    return Err(FileError::field(
                        file,
                        "attendance.attend-odds-per-week-beyond",
                        "expected a factor above 0 and at most 1 (1: no change with the wait)",
                    ));
                }
            },
            discharge_after_missed_in_a_row: match spec.discharge_after_missed_in_a_row {
                None => 0,
                Some(count) if count <= 100 => count,
                Some(_) => {
                    return Err(FileError::field(
                        file,
                        "attendance.discharge-after-missed-in-a-row",
                        "expected at most 100 appointments (0: never)",
                    ));
                }
            },
        }
    };
    if parsed.leave.weeks_per_year > 26 {
        return Err(FileError::field(
            file,
            "leave.weeks-per-year",
            "expected at most 26 weeks",
        ));
    }
    let wages = {
        let spec = &parsed.wages;
        if !(0.0..=MAX_ANNUAL_COST).contains(&spec.annual_cost_per_fte) {
            return Err(FileError::field(
                file,
                "wages.annual-cost-per-fte",
                format!("expected a cost from 0 to {MAX_ANNUAL_COST}"),
            ));
        }
        if spec.yearly_raises.len() > 50 {
            return Err(FileError::field(
                file,
                "wages.yearly-raises",
                "expected at most 50 years of raises",
            ));
        }
        for (idx, raise) in spec.yearly_raises.iter().enumerate() {
            if !(-0.5..=1.0).contains(raise) {
                return Err(FileError::field(
                    file,
                    &format!("wages.yearly-raises[{idx}]"),
                    "expected a raise from -0.5 to 1 (a share of the year before)",
                ));
            }
        }
        Wages {
            annual_cost_per_fte: spec.annual_cost_per_fte,
            yearly_raises: spec.yearly_raises.clone(),
        }
    };
    let disruption = match &parsed.disruption {
        None => None,
        Some(spec) => {
            let reason =
                caretime_replan::DisruptionReason::from_slug(&spec.reason).ok_or_else(|| {
                    FileError::field(
                        file,
                        "disruption.reason",
                        "expected one of: strike, leave, closure",
                    )
                })?;
            let first: Date = parse_date(&spec.first).map_err(|_| {
                FileError::field(
                    file,
                    "disruption.first",
                    "expected a date such as \"2024-10-21\"",
                )
            })?;
            if !(1..=3660).contains(&spec.days) {
                return Err(FileError::field(
                    file,
                    "disruption.days",
                    "must be 1 to 3660",
                ));
            }
            if spec.notice_days > 365 {
                return Err(FileError::field(
                    file,
                    "disruption.notice-days",
                    "must be at most 365",
                ));
            }
            Some(DisruptionSpec {
                reason,
                first,
                days: spec.days,
                internal_therapist_share: share(
                    file,
                    "disruption.internal-therapist-share",
                    spec.internal_therapist_share,
                )?,
                seed: spec.seed,
                notice_days: spec.notice_days,
            })
        }
    };
    let groups = match &parsed.groups {
        None => GroupModel::NONE,
        Some(spec) => {
            if !(1..=caretime_engine::group::MAX_GROUP_CAPACITY).contains(&spec.capacity) {
                return Err(FileError::field(
                    file,
                    "groups.capacity",
                    format!(
                        "a group has 1 to {} seats",
                        caretime_engine::group::MAX_GROUP_CAPACITY
                    ),
                ));
            }
            if spec.min_seats > spec.capacity {
                return Err(FileError::field(
                    file,
                    "groups.min-seats",
                    "must be at most the capacity",
                ));
            }
            if !(1..=104).contains(&spec.weeks) {
                return Err(FileError::field(file, "groups.weeks", "must be 1 to 104"));
            }
            GroupModel {
                facilitator_share: share(file, "groups.facilitator-share", spec.facilitator_share)?,
                referral_share: share(file, "groups.referral-share", spec.referral_share)?,
                weeks: spec.weeks,
                capacity: spec.capacity,
                min_seats: spec.min_seats,
            }
        }
    };
    let census = match &parsed.census {
        None => CensusPlan::DEFAULT,
        Some(spec) => {
            let business_day = spec
                .business_day
                .unwrap_or(CensusPlan::DEFAULT.business_day);
            // A month has at most 23 weekdays.
            if !(1..=23).contains(&business_day) {
                return Err(FileError::field(
                    file,
                    "census.business-day",
                    "must be 1 to 23",
                ));
            }
            let time = match &spec.time {
                None => CensusPlan::DEFAULT.time,
                Some(text) => text.parse::<jiff::civil::Time>().map_err(|_| {
                    FileError::field(file, "census.time", "expected a time such as \"10:00\"")
                })?,
            };
            CensusPlan { business_day, time }
        }
    };
    let clinic = match &parsed.clinic {
        None => ClinicPolicy::OPEN,
        Some(spec) => {
            let follow_ups = policy(
                file,
                "clinic.follow-ups",
                spec.follow_ups.as_deref(),
                FollowUps::TimelyAnywhere,
            )?;
            let overbooking = policy(
                file,
                "clinic.overbook",
                spec.overbook.as_deref(),
                Overbooking::None,
            )?;
            if spec.caseload_cap == Some(0) {
                return Err(FileError::field(
                    file,
                    "clinic.caseload-cap",
                    "a cap of 0 would take no patient at all; leave it out for no cap",
                ));
            }
            if spec.referral_days > 365 || spec.intake_reserve_release_days > 365 {
                return Err(FileError::field(
                    file,
                    "clinic",
                    "referral-days and intake-reserve-release-days are at most 365",
                ));
            }
            ClinicPolicy {
                intake_reserve: IntakeReserve {
                    share: share(
                        file,
                        "clinic.intake-reserve-share",
                        spec.intake_reserve_share,
                    )?,
                    release_days: spec.intake_reserve_release_days,
                },
                follow_ups,
                referral_days: spec.referral_days,
                network_acceptance: share(
                    file,
                    "clinic.network-acceptance",
                    spec.network_acceptance.unwrap_or(1.0),
                )?,
                late_offers: match spec.arranges_out_of_network {
                    None => LateOffers::BookAndRecord,
                    Some(chance) => {
                        LateOffers::Arrange(share(file, "clinic.arranges-out-of-network", chance)?)
                    }
                },
                caseload_cap: spec.caseload_cap,
                overbooking,
            }
        }
    };
    let mut region = region;
    region.group_facilitator_share = groups.facilitator_share;
    let scenario = Scenario {
        name: parsed.name,
        title: parsed.title,
        rules,
        simulation,
        region,
        demand,
        episodes,
        attendance,
        leave: Leave {
            weeks_per_year: parsed.leave.weeks_per_year,
        },
        wages,
        disruption,
        groups,
        census,
        clinic,
    };
    if Dates::of(&scenario).is_err() {
        return Err(FileError::field(
            file,
            "simulation.start",
            "the simulated months and the booking horizon run past 9999-12-31, the last date caretime counts",
        ));
    }
    Ok(scenario)
}
