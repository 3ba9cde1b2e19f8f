//! The Provider Appointment Availability Survey (PAAS) question, answered for every provider at
//! a survey instant: a census of compliance as DMHC measures it.
//!
//! DMHC's 70 % threshold (from measurement year 2023; 28 CCR § 1300.67.2.2 (b)(12)(A) and (f))
//! is a **rate of compliance of surveyed providers**, not a share of members' bookings: each
//! year plans ask their network's providers for their *next available* urgent and non-urgent
//! appointment, and the rate is the eligible respondents with an appointment within the
//! standard over the eligible respondents, per network and provider type, urgent and non-urgent
//! separately. The federal secret-shopper rules judge the same question against 90 % (42 CFR
//! § 438.68(e) for Medicaid managed care from 2027; Marketplace plans from plan year 2025, CMS
//! 2025 Letter to Issuers in the Federally-facilitated Exchanges). caretime knows every
//! provider's real availability, so [`census`] answers the question exactly for every provider;
//! a plan's survey is a sample of it (see [`Census::strata`] and [`SampleEstimate`]).
//!
//! The demand-weighted measure of [`crate::report::access_report`] (requests whose best offer
//! was within the standard) is another figure: a network can pass one and fail the other.
//!
//! # The questions
//!
//! | [`Question`] | asked as ([`RequestKind`]) | providers | standard (ca-dmhc) | wait in |
//! |---|---|---|---|---|
//! | `urgent` | `urgent` | NPMH | `urgent-prior-auth` (96 h); `urgent` (48 h) also reported | hours |
//! | `non-urgent` | `initial` / `psychiatry` | NPMH / psychiatrists | 10 / 15 business days | business days |
//! | `follow-up` | `follow-up` | NPMH | 10 business days (SB 221) | business days |
//!
//! NPMH: non-physician mental health providers, every discipline but psychiatrist. The
//! standards come from the rule set's deadline rules, counted from the survey instant by the
//! rule set's deadline semantics (a follow-up's is counted from the survey, as the survey has
//! no prior appointment). DMHC judges urgent appointments against 96 hours today and said it
//! would fold in 48 hours: `within_standard` is the longer standard when the rule set has both,
//! and `within_48_hours` the shorter.
//!
//! **Next available** is what [`crate::find::earliest_for_kind`] gives for that request kind on
//! that one clinician, the same question the booking search asks of a treating clinician:
//! urgent requests may use urgent-hold time, routine ones only once it is released; leave,
//! protected time and breaks are never available. No member is asked about: modality, language
//! and travel are a member's filters, not the provider's availability.
//!
//! **Eligible**: a provider who offers the request kind at all, which the engine's routing
//! decides (a psychiatry request needs a psychiatrist, every other kind a non-physician
//! clinician: [`RequestKind::needs_psychiatrist`]), for kinds the rule set covers. So
//! psychiatrists answer the non-urgent question only, as the engine never routes an urgent
//! request or a follow-up to them. A provider with no availability in the book's horizon is
//! eligible and not compliant, as a surveyed provider who has no appointment to offer is; their
//! wait is unknown and left out of the mean and median (counted in
//! [`Tally::no_availability`]).
//!
//! # Raw data rows
//!
//! [`census_csv`] writes one row per provider per question per survey instant, with a header:
//!
//! | column | meaning |
//! |---|---|
//! | `survey_at` | the survey instant, RFC 3339 in UTC |
//! | `clinician_id` | the provider's id |
//! | `clinician` | the provider's name (a provider's name is not PHI) |
//! | `facility_id`, `facility` | the provider's facility (an internal clinic or a network office) |
//! | `network` | `internal` or `network` |
//! | `provider_type` | `npmh` or `psychiatrist` |
//! | `discipline` | the provider's discipline |
//! | `question` | `urgent`, `non-urgent` or `follow-up` |
//! | `request_kind` | the request kind asked |
//! | `standard` | the standard judged against (`96 hours`, `10 business days`) |
//! | `next_available` | the next available start, RFC 3339 in UTC; empty when none in the horizon |
//! | `time` | the template time it uses: `direct` or `urgent-hold`; empty when none |
//! | `wait_hours` | hours from the survey instant to it, two decimals; empty when none |
//! | `wait_business_days` | business days of the rule set's calendar from the survey's local date to its local date; empty when none |
//! | `within_standard` | `true` or `false` |
//! | `within_48_hours` | urgent only: `true` or `false` against the shorter urgent standard; empty otherwise |
//!
//! Rows are in clinician id order, each clinician's questions in [`Question::ALL`] order.

use caretime_core::id::{ClinicianId, FacilityId};
use caretime_core::region::{Affiliation, Discipline, Region};
use caretime_core::request::RequestKind;
use caretime_core::rules::{DeadlineQuery, RuleSet, Within};
use caretime_core::slug::Slug;
use jiff::Timestamp;

use crate::availability::{Availability, AvailabilityError, FreeKind, Minute};
use crate::book::Book;
use crate::find::{FindPolicy, Patient, earliest_for_kind};

/// A question of the survey.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Question {
    /// The next available urgent appointment, judged in hours.
    Urgent,
    /// The next available non-urgent first appointment, judged in business days.
    NonUrgent,
    /// The next available non-urgent follow-up with a non-physician provider (SB 221).
    FollowUp,
}

impl Question {
    /// Every question, in report order.
    pub const ALL: [Question; 3] = [Question::Urgent, Question::NonUrgent, Question::FollowUp];

    /// The request kind the question asks for on a provider of `provider_type`.
    pub fn kind(self, provider_type: ProviderType) -> RequestKind {
        match (self, provider_type) {
            (Question::Urgent, _) => RequestKind::Urgent,
            (Question::NonUrgent, ProviderType::Psychiatrist) => RequestKind::Psychiatry,
            (Question::NonUrgent, ProviderType::Npmh) => RequestKind::Initial,
            (Question::FollowUp, _) => RequestKind::FollowUp,
        }
    }

    /// Whether waits are measured in hours (urgent) rather than business days.
    pub fn in_hours(self) -> bool {
        self == Question::Urgent
    }
}

impl Slug for Question {
    const VARIANTS: &'static [Question] = &Question::ALL;

    /// The kebab-case name used in output.
    fn slug(self) -> &'static str {
        match self {
            Question::Urgent => "urgent",
            Question::NonUrgent => "non-urgent",
            Question::FollowUp => "follow-up",
        }
    }
}

/// The survey's provider types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProviderType {
    /// A non-physician mental health provider: every discipline but psychiatrist.
    Npmh,
    /// A psychiatrist.
    Psychiatrist,
}

impl ProviderType {
    /// Both types, in report order.
    pub const ALL: [ProviderType; 2] = [ProviderType::Npmh, ProviderType::Psychiatrist];

    /// The type of a discipline.
    pub fn of(discipline: Discipline) -> ProviderType {
        match discipline {
            Discipline::Psychiatrist => ProviderType::Psychiatrist,
            _ => ProviderType::Npmh,
        }
    }
}

impl Slug for ProviderType {
    const VARIANTS: &'static [ProviderType] = &ProviderType::ALL;

    /// The kebab-case name used in output.
    fn slug(self) -> &'static str {
        match self {
            ProviderType::Npmh => "npmh",
            ProviderType::Psychiatrist => "psychiatrist",
        }
    }
}

/// A standard a question is judged against, counted from the survey instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standard {
    /// The rule's request kind.
    pub kind: RequestKind,
    /// How long the rule allows.
    pub within: Within,
    /// Appointments starting strictly before this meet it.
    pub deadline: Timestamp,
}

/// One provider's answer to one question: a raw data row.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// The provider.
    pub clinician: ClinicianId,
    /// Where they work.
    pub facility: FacilityId,
    /// Internal or network.
    pub affiliation: Affiliation,
    /// NPMH or psychiatrist.
    pub provider_type: ProviderType,
    /// The question.
    pub question: Question,
    /// The request kind asked.
    pub kind: RequestKind,
    /// The next available start and the template time it uses; `None` when the provider has
    /// nothing in the book's horizon.
    pub next_available: Option<(Timestamp, FreeKind)>,
    /// Minutes from the survey instant to the next available start.
    pub wait_minutes: Option<i64>,
    /// Business days of the rule set's calendar from the survey's local date to the start's.
    pub wait_business_days: Option<u32>,
    /// Whether the next available start meets the question's standard (for urgent, the longer
    /// one).
    pub within_standard: bool,
    /// Urgent only, when the rule set has a shorter urgent standard (48 hours): whether it is
    /// met.
    pub within_shorter: Option<bool>,
}

impl Answer {
    /// The wait in the question's unit: hours for urgent, business days otherwise.
    pub fn wait(&self) -> Option<f64> {
        if self.question.in_hours() {
            self.wait_minutes.map(|minutes| minutes as f64 / 60.0)
        } else {
            self.wait_business_days.map(f64::from)
        }
    }
}

/// The answers of every eligible provider at one survey instant.
#[derive(Clone, Debug, PartialEq)]
pub struct Census {
    /// The survey instant.
    pub at: Timestamp,
    /// The rule set's name.
    pub rule_set: String,
    /// The standard of each question and provider type the rule set covers.
    pub standards: Vec<(Question, ProviderType, Standard)>,
    /// For urgent, the shorter standard (48 hours) when the rule set has one.
    pub shorter_urgent: Option<Standard>,
    /// One answer per eligible provider and question, in clinician id order, then question.
    pub answers: Vec<Answer>,
}

/// Why a census could not be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CensusError {
    /// The index rejected a query (a clinician of the region not in it).
    #[error(transparent)]
    Availability(#[from] AvailabilityError),
    /// A standard's deadline is out of the supported range.
    #[error("a standard's deadline from the survey instant is out of range")]
    OutOfRange,
}

/// The census of `book` at `at`: every clinician of `region` asked each question they are
/// eligible for (see the module documentation), judged by `rules`.
pub fn census(
    book: &Book,
    region: &Region,
    rules: &RuleSet,
    at: Timestamp,
) -> Result<Census, CensusError> {
    census_of(book.availability(), &book.policy().find, region, rules, at)
}

/// [`census`] over an availability index and a find policy (a book's, or an index built apart,
/// as tests do): its appointment lengths and intake reserve.
pub fn census_of(
    availability: &Availability,
    policy: &FindPolicy,
    region: &Region,
    rules: &RuleSet,
    at: Timestamp,
) -> Result<Census, CensusError> {
    let standard_of = |kind: RequestKind| -> Result<Option<Standard>, CensusError> {
        let Some(rule) = rules.rule(kind) else {
            return Ok(None);
        };
        let deadline = rules
            .deadline_instants(&DeadlineQuery {
                kind,
                requested: at,
                prior_appointment: None,
                clinical_exception: None,
            })
            .map_err(|_| CensusError::OutOfRange)?;
        Ok(Some(Standard {
            kind,
            within: rule.within,
            deadline: deadline.instant,
        }))
    };
    // DMHC judges urgent appointments against 96 hours (the prior-authorization standard) and
    // reports 48 hours too: the longer urgent standard leads when the rule set has both.
    let (urgent, shorter_urgent) = match (
        standard_of(RequestKind::UrgentPriorAuth)?,
        standard_of(RequestKind::Urgent)?,
    ) {
        (Some(a), Some(b)) if a.deadline == b.deadline => (Some(a), None),
        (Some(a), Some(b)) if a.deadline > b.deadline => (Some(a), Some(b)),
        (Some(a), Some(b)) => (Some(b), Some(a)),
        (one, None) | (None, one) => (one, None),
    };
    let mut standards = Vec::new();
    for question in Question::ALL {
        for provider_type in ProviderType::ALL {
            let kind = question.kind(provider_type);
            if kind.needs_psychiatrist() != (provider_type == ProviderType::Psychiatrist) {
                continue;
            }
            let standard = match question {
                Question::Urgent => urgent,
                _ => standard_of(kind)?,
            };
            if let Some(standard) = standard {
                standards.push((question, provider_type, standard));
            }
        }
    }
    let ceil_minute = |at: Timestamp| {
        let floor = Minute::from_timestamp(at);
        match floor.to_timestamp() {
            Ok(exact) if exact == at => floor,
            _ => Minute(floor.0 + 1),
        }
    };
    // As a find at the survey instant: no start before it, urgent-hold time released by then.
    let not_before = ceil_minute(at);
    let now = Minute::from_timestamp(at);
    let days = rules.zone_days();
    let survey_date = days.date_of(at);
    let mut answers = Vec::new();
    for clinician in &region.clinicians {
        let provider_type = ProviderType::of(clinician.discipline);
        for (question, standard) in standards
            .iter()
            .filter(|(_, known, _)| *known == provider_type)
            .map(|(question, _, standard)| (*question, standard))
        {
            let kind = question.kind(provider_type);
            // The follow-up question asks for an existing patient of the provider's: the intake
            // reserve, where the book keeps one, is not theirs to take.
            let patient = match question {
                Question::FollowUp => Patient::Own,
                Question::Urgent | Question::NonUrgent => Patient::New,
            };
            let found = earliest_for_kind(
                availability,
                policy,
                clinician,
                kind,
                patient,
                not_before,
                now,
                None,
            )?;
            let next_available = match found {
                Some((start, time)) => Some((start.to_timestamp()?, time)),
                None => None,
            };
            let start = next_available.map(|(start, _)| start);
            answers.push(Answer {
                clinician: clinician.id,
                facility: clinician.facility,
                affiliation: clinician.affiliation,
                provider_type,
                question,
                kind,
                next_available,
                wait_minutes: start.map(|start| (start.as_second() - at.as_second()) / 60),
                wait_business_days: start.map(|start| {
                    rules
                        .calendar()
                        .business_days_between(survey_date, days.date_of(start))
                }),
                within_standard: start.is_some_and(|start| start < standard.deadline),
                within_shorter: match (question, shorter_urgent) {
                    (Question::Urgent, Some(shorter)) => {
                        Some(start.is_some_and(|start| start < shorter.deadline))
                    }
                    _ => None,
                },
            });
        }
    }
    Ok(Census {
        at,
        rule_set: rules.name().to_owned(),
        standards,
        shorter_urgent,
        answers,
    })
}

/// Answers of one slice of providers to one question, counted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    /// Eligible providers.
    pub eligible: u64,
    /// With an appointment within the standard.
    pub within: u64,
    /// Urgent: within the shorter standard (48 hours), when the rule set has one.
    pub within_shorter: u64,
    /// With nothing available in the book's horizon (eligible, not compliant, no wait).
    pub no_availability: u64,
    /// Waits of the providers with availability, in the question's unit (minutes for urgent,
    /// business days otherwise), in the order counted.
    waits: Vec<u32>,
    /// Whether waits are minutes (urgent) rather than business days.
    in_minutes: bool,
}

impl Tally {
    /// An empty tally for `question`.
    pub fn new(question: Question) -> Tally {
        Tally {
            in_minutes: question.in_hours(),
            ..Tally::default()
        }
    }

    /// Counts one answer.
    pub fn add(&mut self, answer: &Answer) {
        self.eligible += 1;
        self.within += u64::from(answer.within_standard);
        self.within_shorter += u64::from(answer.within_shorter == Some(true));
        let wait = if self.in_minutes {
            answer
                .wait_minutes
                .map(|minutes| u32::try_from(minutes.max(0)).unwrap_or(u32::MAX))
        } else {
            answer.wait_business_days
        };
        match wait {
            Some(wait) => self.waits.push(wait),
            None => self.no_availability += 1,
        }
    }

    /// Adds every answer counted in `other` (another survey instant's, for a pooled rate).
    pub fn merge(&mut self, other: &Tally) {
        self.eligible += other.eligible;
        self.within += other.within;
        self.within_shorter += other.within_shorter;
        self.no_availability += other.no_availability;
        self.waits.extend_from_slice(&other.waits);
    }

    /// The waits counted, in the order counted: minutes for urgent, business days otherwise
    /// (for a file that carries the tally, e.g. a simulation shard's part).
    pub fn waits(&self) -> &[u32] {
        &self.waits
    }

    /// A tally of `question` from its counts and waits (in [`Tally::waits`]'s unit), as
    /// [`Tally::waits`] and the public counts give them; `None` when they cannot come from
    /// counting answers (more within the standard, or waits, than eligible providers).
    pub fn from_counts(
        question: Question,
        eligible: u64,
        within: u64,
        within_shorter: u64,
        no_availability: u64,
        waits: Vec<u32>,
    ) -> Option<Tally> {
        let counted = (waits.len() as u64).checked_add(no_availability)?;
        (within <= eligible && within_shorter <= eligible && counted == eligible).then_some(Tally {
            eligible,
            within,
            within_shorter,
            no_availability,
            waits,
            in_minutes: question.in_hours(),
        })
    }

    /// The rate of compliance: within the standard over eligible; `None` without eligible
    /// providers.
    pub fn rate(&self) -> Option<f64> {
        (self.eligible > 0).then(|| self.within as f64 / self.eligible as f64)
    }

    /// The same against the shorter urgent standard.
    pub fn rate_shorter(&self) -> Option<f64> {
        (self.eligible > 0).then(|| self.within_shorter as f64 / self.eligible as f64)
    }

    /// The mean wait of the providers with availability: hours for urgent, business days
    /// otherwise.
    pub fn mean_wait(&self) -> Option<f64> {
        let n = self.waits.len();
        (n > 0).then(|| {
            let sum: u64 = self.waits.iter().map(|wait| u64::from(*wait)).sum();
            self.in_unit(sum as f64 / n as f64)
        })
    }

    /// The median wait: the smallest wait with at least half the waits at or below it (as
    /// [`crate::report::Days::quantile`]), in the same unit.
    pub fn median_wait(&self) -> Option<f64> {
        let n = self.waits.len();
        if n == 0 {
            return None;
        }
        let mut waits = self.waits.clone();
        let (_, median, _) = waits.select_nth_unstable(n.div_ceil(2) - 1);
        Some(self.in_unit(f64::from(*median)))
    }

    fn in_unit(&self, value: f64) -> f64 {
        if self.in_minutes { value / 60.0 } else { value }
    }
}

/// What a census row slices providers by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grouping {
    /// Every eligible provider.
    All,
    /// Internal or network.
    Network,
    /// Provider type.
    ProviderType,
    /// The provider's facility (an internal clinic or a network office): the region's areas.
    Facility,
}

impl Slug for Grouping {
    const VARIANTS: &'static [Grouping] = &[
        Grouping::All,
        Grouping::Network,
        Grouping::ProviderType,
        Grouping::Facility,
    ];

    /// The kebab-case name used in output.
    fn slug(self) -> &'static str {
        match self {
            Grouping::All => "all",
            Grouping::Network => "network",
            Grouping::ProviderType => "provider-type",
            Grouping::Facility => "facility",
        }
    }
}

/// One slice's tally for one question.
#[derive(Clone, Debug, PartialEq)]
pub struct CensusRow {
    /// The question.
    pub question: Question,
    /// What the slice is by.
    pub grouping: Grouping,
    /// The slice ("all", "internal", "network", "npmh", a facility's name).
    pub label: String,
    /// The counts.
    pub tally: Tally,
}

/// The label of a network.
pub fn network_label(affiliation: Affiliation) -> &'static str {
    match affiliation {
        Affiliation::Internal => "internal",
        Affiliation::Network => "network",
    }
}

impl Census {
    /// The tallies by question, then by `groupings` in the order given: all, networks
    /// (internal then network), provider types (NPMH then psychiatrist), facilities by id;
    /// only slices with eligible providers.
    pub fn rows(&self, region: &Region, groupings: &[Grouping]) -> Vec<CensusRow> {
        let mut rows = Vec::new();
        for question in Question::ALL {
            let answers: Vec<&Answer> = self
                .answers
                .iter()
                .filter(|answer| answer.question == question)
                .collect();
            if answers.is_empty() {
                continue;
            }
            for &grouping in groupings {
                // Slices by a small key, in report order.
                let key = |answer: &Answer| -> usize {
                    match grouping {
                        Grouping::All => 0,
                        Grouping::Network => match answer.affiliation {
                            Affiliation::Internal => 0,
                            Affiliation::Network => 1,
                        },
                        Grouping::ProviderType => answer.provider_type as usize,
                        Grouping::Facility => answer.facility.index(),
                    }
                };
                let label = |answer: &Answer| -> String {
                    match grouping {
                        Grouping::All => "all".to_owned(),
                        Grouping::Network => network_label(answer.affiliation).to_owned(),
                        Grouping::ProviderType => answer.provider_type.slug().to_owned(),
                        Grouping::Facility => region
                            .facilities
                            .get(answer.facility.index())
                            .map_or_else(|| answer.facility.to_string(), |f| f.name.clone()),
                    }
                };
                let mut slices: Vec<Option<CensusRow>> = Vec::new();
                for answer in &answers {
                    let idx = key(answer);
                    if slices.len() <= idx {
                        slices.resize(idx + 1, None);
                    }
                    slices[idx]
                        .get_or_insert_with(|| CensusRow {
                            question,
                            grouping,
                            label: label(answer),
                            tally: Tally::new(question),
                        })
                        .tally
                        .add(answer);
                }
                rows.extend(slices.into_iter().flatten());
            }
        }
        rows
    }

    /// The survey's strata: each question's eligible providers by network and provider type
    /// (the slices a PAAS sample is drawn from), in report order, each with its answers.
    pub fn strata(&self) -> Vec<(Stratum, Vec<&Answer>)> {
        let mut strata: Vec<(Stratum, Vec<&Answer>)> = Vec::new();
        for answer in &self.answers {
            let stratum = Stratum {
                question: answer.question,
                affiliation: answer.affiliation,
                provider_type: answer.provider_type,
            };
            match strata.iter_mut().find(|(known, _)| *known == stratum) {
                Some((_, answers)) => answers.push(answer),
                None => strata.push((stratum, vec![answer])),
            }
        }
        strata.sort_by_key(|(stratum, _)| stratum.order());
        strata
    }
}

/// A slice a survey samples from: one question, one network, one provider type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stratum {
    /// The question.
    pub question: Question,
    /// Internal or network.
    pub affiliation: Affiliation,
    /// NPMH or psychiatrist.
    pub provider_type: ProviderType,
}

impl Stratum {
    fn order(self) -> (Question, usize, ProviderType) {
        let network = match self.affiliation {
            Affiliation::Internal => 0,
            Affiliation::Network => 1,
        };
        (self.question, network, self.provider_type)
    }
}

/// A sample's rate of compliance in one stratum with its 95 % confidence interval.
///
/// The interval is Wilson's score interval: unlike the normal (Wald) interval it stays within
/// 0 and 1 and keeps close to its nominal coverage for the small samples and the rates near 1
/// that surveys of providers give. The sample is drawn without replacement from a known,
/// finite population (the stratum's providers), so the variance is multiplied by the finite
/// population correction (N - n) / (N - 1), which enters Wilson's formula as an effective sample
/// size n / fpc: a sample of the whole stratum is the census, and its interval is the rate
/// itself.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SampleEstimate {
    /// The stratum.
    pub stratum: Stratum,
    /// Its eligible providers (N).
    pub population: u64,
    /// Providers sampled (n).
    pub sampled: u64,
    /// Of them, with an appointment within the standard.
    pub within: u64,
    /// The census rate of the whole stratum, for comparison.
    pub census_rate: f64,
    /// The sample's rate.
    pub rate: f64,
    /// The interval's lower end.
    pub low: f64,
    /// The interval's upper end.
    pub high: f64,
}

/// The two-sided 95 % normal quantile.
const Z_975: f64 = 1.959_963_984_540_054;

/// Wilson's 95 % score interval for `within` successes out of `sampled` drawn without
/// replacement from `population` (see [`SampleEstimate`]); `None` without a sample or with a
/// sample larger than the population.
pub fn wilson_interval(within: u64, sampled: u64, population: u64) -> Option<(f64, f64)> {
    if sampled == 0 || sampled > population || within > sampled {
        return None;
    }
    let p = within as f64 / sampled as f64;
    let fpc = if population > 1 {
        (population - sampled) as f64 / (population - 1) as f64
    } else {
        0.0
    };
    if fpc == 0.0 {
        return Some((p, p));
    }
    let n = sampled as f64 / fpc;
    let z2 = Z_975 * Z_975;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z_975 / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// The estimate of a stratum from the answers of the providers sampled (`sampled`, a subset of
/// `population`, the stratum's answers).
pub fn sample_estimate(
    stratum: Stratum,
    population: &[&Answer],
    sampled: &[&Answer],
) -> Option<SampleEstimate> {
    let within = sampled.iter().filter(|a| a.within_standard).count() as u64;
    let census_within = population.iter().filter(|a| a.within_standard).count() as u64;
    let (low, high) = wilson_interval(within, sampled.len() as u64, population.len() as u64)?;
    Some(SampleEstimate {
        stratum,
        population: population.len() as u64,
        sampled: sampled.len() as u64,
        within,
        census_rate: census_within as f64 / population.len() as f64,
        rate: within as f64 / sampled.len() as f64,
        low,
        high,
    })
}

/// The raw data rows of `censuses` as CSV (columns in the module documentation), header first.
pub fn census_csv(censuses: &[Census], region: &Region) -> String {
    let mut out = String::from(
        "survey_at,clinician_id,clinician,facility_id,facility,network,provider_type,\
         discipline,question,request_kind,standard,next_available,time,wait_hours,\
         wait_business_days,within_standard,within_48_hours\n",
    );
    for census in censuses {
        for answer in &census.answers {
            let clinician = &region.clinicians[answer.clinician.index()];
            let facility = region
                .facilities
                .get(answer.facility.index())
                .map_or("", |facility| facility.name.as_str());
            let standard = census
                .standards
                .iter()
                .find(|(question, provider_type, _)| {
                    *question == answer.question && *provider_type == answer.provider_type
                })
                .map(|(_, _, standard)| standard.within.to_string())
                .unwrap_or_default();
            let fields = [
                census.at.to_string(),
                answer.clinician.0.to_string(),
                csv_field(&clinician.name),
                answer.facility.0.to_string(),
                csv_field(facility),
                network_label(answer.affiliation).to_owned(),
                answer.provider_type.slug().to_owned(),
                clinician.discipline.slug().to_owned(),
                answer.question.slug().to_owned(),
                answer.kind.slug().to_owned(),
                standard,
                answer
                    .next_available
                    .map(|(start, _)| start.to_string())
                    .unwrap_or_default(),
                answer
                    .next_available
                    .map(|(_, time)| time.slug().to_owned())
                    .unwrap_or_default(),
                answer
                    .wait_minutes
                    .map(|minutes| format!("{:.2}", minutes as f64 / 60.0))
                    .unwrap_or_default(),
                answer
                    .wait_business_days
                    .map(|days| days.to_string())
                    .unwrap_or_default(),
                answer.within_standard.to_string(),
                answer
                    .within_shorter
                    .map(|met| met.to_string())
                    .unwrap_or_default(),
            ];
            out.push_str(&fields.join(","));
            out.push('\n');
        }
    }
    out
}

/// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_published_values_and_collapses_on_a_census() {
        // Wilson's interval for 7 of 10 without correction (a huge population): z^2 = 3.8415,
        // centre (0.7 + 3.8415 / 20) / (1 + 3.8415 / 10) = 0.89207 / 1.38415 = 0.64449, half
        // width 1.95996 / 1.38415 * sqrt(0.7 * 0.3 / 10 + 3.8415 / 400) = 1.41600 * 0.17494 =
        // 0.24771: 0.3968 to 0.8922.
        let (low, high) = wilson_interval(7, 10, u64::MAX / 2).expect("valid");
        assert!((low - 0.3968).abs() < 5e-5, "{low}");
        assert!((high - 0.8922).abs() < 5e-5, "{high}");
        // The whole population sampled: the census rate, exactly.
        assert_eq!(wilson_interval(7, 10, 10), Some((0.7, 0.7)));
        // A sample of half a small population is narrower than the same sample of a huge one.
        let (low_fpc, high_fpc) = wilson_interval(7, 10, 20).expect("valid");
        assert!(low_fpc > low && high_fpc < high);
        assert_eq!(wilson_interval(0, 0, 10), None);
        assert_eq!(wilson_interval(3, 11, 10), None);
    }

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        assert_eq!(
            csv_field("Anaheim Medical Center"),
            "Anaheim Medical Center"
        );
        assert_eq!(
            csv_field("Office 1, Suite \"B\""),
            "\"Office 1, Suite \"\"B\"\"\""
        );
    }
}
