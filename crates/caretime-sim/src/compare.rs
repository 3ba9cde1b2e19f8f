//! Variants of one scenario side by side: contract terms × staffing ratios, every variant run
//! with the same seeds, and what each protected hour costs in appointments a week.
//!
//! A [`Variant`] names a contract and a staffing ratio; [`compare`] runs the scenario once per
//! variant and returns a [`Comparison`]: each variant's [`Summary`] and [`TemplateFigures`], a
//! side-by-side table ([`ComparedRow`], one estimate per variant) and, for every pair of variants
//! with the same ratio and different protected hours, a [`ProtectedHourCost`].
//!
//! **Common random numbers.** Every variant runs the scenario's seeds: replication `i` of every
//! variant draws from the same stream, and variants with the same ratio have the same region
//! (the generator draws the same clinicians; only their templates differ). The difference between
//! two variants is then the effect of their terms, not of different draws, and the per-replication
//! difference of a pair is the right figure to average (a paired confidence interval).
//!
//! **What a protected hour costs.** The employer's claim in the 2024-25 Southern California
//! dispute (as the press reported it during the strike; not verified here): "each extra hour a week off
//! patient care across all therapists costs over 1,300 appointments a week". Three figures test
//! it, each per protected hour added to the full-time week:
//!
//! - *template arithmetic*: the direct hours a week (direct and urgent-hold template time of the
//!   internal non-physician clinicians) the change removes. A contract's standard template removes
//!   exactly one direct hour per protected hour per full-time week, pro-rated by FTE
//!   (`caretime_core::template::standard_template`), so this equals the clinicians' FTE; it is
//!   computed from the generated templates, not from that formula, so that it checks it;
//! - *one-hour appointments that fit*: the same templates counted in the one-hour appointments
//!   that fit in their bookable runs on the book's 15-minute grid (what the book can actually
//!   sell: a run of 2 h 48 min holds two appointments, not 2.8);
//! - *simulated*: the difference in visits kept with internal clinicians a week, from the paired
//!   replications, with its 95 % confidence interval. It counts every internal visit, the
//!   psychiatrists' too (their templates follow the same contract).
//!
//! Not here: reading files, printing, choosing variants for the user (the CLI does that).

use caretime_core::files::builtin;
use caretime_core::quote::quote;
use caretime_core::region::{Affiliation, Discipline, Region};
use caretime_core::request::RequestKind;
use caretime_core::rules::Within;
use caretime_core::template::{BlockKind, Template};
use caretime_engine::availability::GRID_MINUTES;
use caretime_engine::book::BookPolicy;
use caretime_region::generate::{MIN_MEMBERS_PER_CLINICIAN, generate};
use jiff::civil::Date;
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use rayon::iter::{ParallelBridge as _, ParallelIterator as _};

use crate::model::{self, Dates, Replication};
use crate::render::{
    aligned, cell, estimate_json, figures_csv, interval_warning, number, thousands, unit_slug,
};
use crate::scenario::Scenario;
use crate::summary::{Estimate, Summary, Unit};
use crate::{SimError, summarise};

mod page;

pub use self::page::html;

/// Why a comparison could not run.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// No variant to run.
    #[error("nothing to compare: give at least one contract and one staffing ratio")]
    NoVariants,
    /// A contract that is not built in (the generator only knows built-in contracts).
    #[error("unknown contract `{}` (built in: {known})", quote(name))]
    UnknownContract {
        /// The name given.
        name: String,
        /// The built-in names, comma-separated.
        known: String,
    },
    /// A staffing ratio below [`MIN_MEMBERS_PER_CLINICIAN`] members per therapist.
    #[error("members per therapist must be at least {MIN_MEMBERS_PER_CLINICIAN}")]
    RatioTooSmall,
    /// The same contract and ratio twice.
    #[error("the variant `{}` is listed twice", quote(.0))]
    Duplicate(String),
    /// A variant's simulation failed.
    #[error("variant `{}`: {source}", quote(label))]
    Simulation {
        /// The variant's label.
        label: String,
        /// What failed.
        source: SimError,
    },
}

/// One variant of the scenario: the internal clinicians' contract and the staffing ratio.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variant {
    /// For tables and charts (`socal-2025 1:3000`).
    pub label: String,
    /// A built-in contract's name.
    pub contract: String,
    /// Members per internal therapist.
    pub members_per_therapist: u32,
}

impl Variant {
    /// A variant labelled `contract 1:ratio`.
    pub fn new(contract: &str, members_per_therapist: u32) -> Variant {
        Variant {
            label: format!("{contract} 1:{members_per_therapist}"),
            contract: contract.to_owned(),
            members_per_therapist,
        }
    }

    /// Every combination of `contracts` and `ratios`: for each ratio in the order given, each
    /// contract in the order given, so that the variants a protected hour is priced between
    /// (same ratio, different contracts) stand next to each other.
    pub fn grid(contracts: &[String], ratios: &[u32]) -> Vec<Variant> {
        ratios
            .iter()
            .flat_map(|ratio| {
                contracts
                    .iter()
                    .map(move |contract| Variant::new(contract, *ratio))
            })
            .collect()
    }
}

/// What the generated region's templates give its internal clinicians each week.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TemplateFigures {
    /// Internal non-physician clinicians (therapists, social workers, psychologists, psychiatric
    /// nurses): those the staffing ratio counts.
    pub therapists: u32,
    /// Their FTE.
    pub therapist_fte: f64,
    /// Their bookable template minutes a week: direct and urgent-hold time.
    pub direct_minutes: u64,
    /// The one-hour appointments that fit in their bookable runs a week, on the book's grid.
    pub hour_appointments: u64,
    /// The internal psychiatrists' bookable minutes a week (their templates follow the same
    /// contract, and their visits count in the simulated figure).
    pub psychiatrist_direct_minutes: u64,
}

/// The template figures of a region's internal clinicians.
pub fn template_figures(region: &Region) -> TemplateFigures {
    let mut figures = TemplateFigures {
        therapists: 0,
        therapist_fte: 0.0,
        direct_minutes: 0,
        hour_appointments: 0,
        psychiatrist_direct_minutes: 0,
    };
    let mut fte_hundredths = 0u64;
    for clinician in &region.clinicians {
        if clinician.affiliation != Affiliation::Internal {
            continue;
        }
        let template = &region.templates[clinician.template.index()];
        let bookable = u64::from(
            template.minutes(BlockKind::Direct) + template.minutes(BlockKind::UrgentHold),
        );
        if clinician.discipline == Discipline::Psychiatrist {
            figures.psychiatrist_direct_minutes += bookable;
        } else {
            figures.therapists += 1;
            fte_hundredths += u64::from(clinician.fte.hundredths());
            figures.direct_minutes += bookable;
            figures.hour_appointments += u64::from(hour_appointments(template));
        }
    }
    figures.therapist_fte = fte_hundredths as f64 / 100.0;
    figures
}

/// The one-hour appointments that fit in a template's week: in each run of bookable time of one
/// kind (an appointment never spans a direct and an urgent-hold block), from the first quarter
/// hour of the book's grid, back to back.
fn hour_appointments(template: &Template) -> u32 {
    // The book's appointment length for intakes and follow-ups (one hour), and its grid.
    let length = BookPolicy::STANDARD.find.lengths.follow_up;
    let grid = GRID_MINUTES as u32;
    let minute = |time: jiff::civil::Time| time.hour() as u32 * 60 + time.minute() as u32;
    let mut blocks: Vec<_> = template
        .blocks
        .iter()
        .filter(|block| matches!(block.kind, BlockKind::Direct | BlockKind::UrgentHold))
        .map(|block| {
            (
                block.day.to_monday_zero_offset(),
                minute(block.range.start()),
                minute(block.range.end()),
                block.kind,
            )
        })
        .collect();
    blocks.sort_unstable();
    let fit = |start: u32, end: u32| {
        let first = start.div_ceil(grid) * grid;
        end.saturating_sub(first) / length
    };
    let mut total = 0;
    let mut run: Option<(i8, u32, u32, BlockKind)> = None;
    for (day, start, end, kind) in blocks {
        match &mut run {
            Some((run_day, _, run_end, run_kind))
                if *run_day == day && *run_kind == kind && *run_end == start =>
            {
                *run_end = end;
            }
            _ => {
                if let Some((_, run_start, run_end, _)) = run {
                    total += fit(run_start, run_end);
                }
                run = Some((day, start, end, kind));
            }
        }
    }
    if let Some((_, run_start, run_end, _)) = run {
        total += fit(run_start, run_end);
    }
    total
}

/// A variant's results.
#[derive(Clone, Debug)]
pub struct VariantResult {
    /// The variant.
    pub variant: Variant,
    /// Its contract's protected hours per full-time week.
    pub protected_hours: f64,
    /// Its region's templates.
    pub templates: TemplateFigures,
    /// Its summary over the replications.
    pub summary: Summary,
    /// Visits kept with internal clinicians per week of the reported period, one per
    /// replication in replication order.
    pub internal_visits_per_week: Vec<f64>,
}

/// A row of the side-by-side table: one estimate per variant.
#[derive(Clone, Debug, PartialEq)]
pub struct ComparedRow {
    /// Machine name (`within-standard-initial`).
    pub slug: &'static str,
    /// For people.
    pub title: &'static str,
    /// What it measures.
    pub unit: Unit,
    /// One estimate per variant, in the comparison's order.
    pub cells: Vec<Estimate>,
}

/// What adding protected hours costs between two variants with the same staffing ratio, per
/// protected hour added to the full-time week.
#[derive(Clone, Debug, PartialEq)]
pub struct ProtectedHourCost {
    /// The variant with fewer protected hours (an index into [`Comparison::variants`]).
    pub from: usize,
    /// The variant with more.
    pub to: usize,
    /// Members per therapist, the same in both.
    pub members_per_therapist: u32,
    /// Protected hours per full-time week added (`to` minus `from`).
    pub protected_hours_added: f64,
    /// Template arithmetic: direct hours a week lost per protected hour.
    pub direct_hours: f64,
    /// The internal non-physician clinicians' FTE, what the template arithmetic should equal.
    pub therapist_fte: f64,
    /// One-hour appointments a week that fit in the templates, lost per protected hour.
    pub hour_appointments: f64,
    /// The psychiatrists' direct hours a week lost per protected hour (counted in `simulated`,
    /// not in `direct_hours`).
    pub psychiatrist_direct_hours: f64,
    /// Simulated: internal visits a week lost per protected hour, the mean of the paired
    /// replications' differences with its 95 % confidence interval.
    pub simulated: Estimate,
}

/// Variants of a scenario side by side.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// The scenario's name.
    pub scenario: String,
    /// Its title.
    pub title: String,
    /// The region's scale (1 = the scenario's full size).
    pub scale: f64,
    /// Members of the simulated region.
    pub members: u32,
    /// The rule set.
    pub rule_set: String,
    /// Its compliance threshold, when it sets one.
    pub threshold: Option<f64>,
    /// Its standard for a first non-urgent appointment, in business days (California: 10).
    pub initial_standard_business_days: Option<u32>,
    /// Its follow-up standard, in business days (California, SB 221: 10).
    pub follow_up_standard_business_days: Option<u32>,
    /// First and last reported request date.
    pub period: (Date, Date),
    /// Replications per variant.
    pub replications: u32,
    /// The first replication's seed, the same for every variant.
    pub seed: u64,
    /// Each variant's results, in the order given.
    pub variants: Vec<VariantResult>,
    /// The side-by-side table.
    pub rows: Vec<ComparedRow>,
    /// Every pair of variants with the same ratio and different protected hours.
    pub protected_hour_costs: Vec<ProtectedHourCost>,
}

/// Where a row of the side-by-side table comes from.
#[derive(Clone, Copy)]
enum Source {
    /// A summary's cell: table, row, column.
    Cell(&'static str, &'static str, &'static str),
    Therapists,
    TherapistFte,
    InternalVisitsPerWeek,
}

/// The side-by-side table's rows: slug, title, unit and where each variant's figure comes from.
const ROWS: [(&str, &str, Unit, Source); 24] = [
    (
        "internal-therapists",
        "internal therapists",
        Unit::Count,
        Source::Therapists,
    ),
    (
        "internal-therapist-fte",
        "internal therapist FTE",
        Unit::Number,
        Source::TherapistFte,
    ),
    (
        "members-per-fte",
        "members per FTE",
        Unit::Number,
        Source::Cell("workforce", "internal", "members-per-fte"),
    ),
    (
        "protected-hours",
        "protected h per FTE week",
        Unit::Number,
        Source::Cell("workforce", "internal", "protected-hours"),
    ),
    (
        "direct-share",
        "direct share of paid time",
        Unit::Share,
        Source::Cell("workforce", "internal", "direct-share"),
    ),
    (
        "census-urgent-internal",
        "census rate, urgent: internal",
        Unit::Share,
        Source::Cell("census-urgent", "internal", "within-standard"),
    ),
    (
        "census-urgent-network",
        "census rate, urgent: network",
        Unit::Share,
        Source::Cell("census-urgent", "network", "within-standard"),
    ),
    (
        "census-non-urgent-internal",
        "census rate, non-urgent: internal",
        Unit::Share,
        Source::Cell("census-non-urgent", "internal", "within-standard"),
    ),
    (
        "census-non-urgent-network",
        "census rate, non-urgent: network",
        Unit::Share,
        Source::Cell("census-non-urgent", "network", "within-standard"),
    ),
    (
        "census-follow-up-internal",
        "census rate, follow-up: internal",
        Unit::Share,
        Source::Cell("census-follow-up", "internal", "within-standard"),
    ),
    (
        "census-follow-up-network",
        "census rate, follow-up: network",
        Unit::Share,
        Source::Cell("census-follow-up", "network", "within-standard"),
    ),
    (
        "within-standard",
        "requests offered in standard (demand-weighted): all",
        Unit::Share,
        Source::Cell("compliance", "all", "within-standard"),
    ),
    (
        "within-standard-initial",
        "requests offered in standard (demand-weighted): initial",
        Unit::Share,
        Source::Cell("compliance-by-kind", "initial", "within-standard"),
    ),
    (
        "within-standard-follow-up",
        "requests offered in standard (demand-weighted): follow-up",
        Unit::Share,
        Source::Cell("compliance-by-kind", "follow-up", "within-standard"),
    ),
    (
        "initial-wait-p50",
        "initial wait p50 (bd)",
        Unit::Days,
        Source::Cell("compliance-by-kind", "initial", "wait-median"),
    ),
    (
        "initial-wait-p90",
        "initial wait p90 (bd)",
        Unit::Days,
        Source::Cell("compliance-by-kind", "initial", "wait-p90"),
    ),
    (
        "follow-up-mean",
        "follow-up interval mean (bd)",
        Unit::Days,
        Source::Cell("follow-ups", "all", "mean-business-days"),
    ),
    (
        "follow-up-within-sb-221",
        "follow-ups kept within SB 221",
        Unit::Share,
        Source::Cell("follow-ups", "all", "within-standard"),
    ),
    (
        "network-share",
        "booked with the network",
        Unit::Share,
        Source::Cell("routes", "all", "network"),
    ),
    (
        "out-of-network-share",
        "out-of-network arrangements",
        Unit::Share,
        Source::Cell("routes", "all", "out-of-network"),
    ),
    (
        "visits",
        "visits in the period (all)",
        Unit::Count,
        Source::Cell("attendance", "all", "fulfilled"),
    ),
    (
        "internal-visits-per-week",
        "internal visits per week",
        Unit::Number,
        Source::InternalVisitsPerWeek,
    ),
    (
        "visits-per-clinician-day",
        "visits per clinician-day",
        Unit::Number,
        Source::Cell("workforce", "internal", "sessions-per-day"),
    ),
    (
        "no-show-rate",
        "no-show rate",
        Unit::Share,
        Source::Cell("attendance", "all", "no-show-rate"),
    ),
];

/// Whole weeks (and fractions) in the inclusive period.
fn weeks(period: (Date, Date)) -> f64 {
    let days = period
        .0
        .until(period.1)
        .map_or(0, |span| span.get_days().max(0))
        + 1;
    f64::from(days) / 7.0
}

/// The protected hours per full-time week of a built-in contract.
pub(crate) fn protected_hours(contract: &str) -> Option<f64> {
    builtin::contract(contract).map(|found| f64::from(found.terms().protected_minutes) / 60.0)
}

/// Checks the variants before anything runs: at least one, built-in contracts, ratios of at
/// least [`MIN_MEMBERS_PER_CLINICIAN`], no variant twice.
pub fn check_variants(variants: &[Variant]) -> Result<(), CompareError> {
    if variants.is_empty() {
        return Err(CompareError::NoVariants);
    }
    for (idx, variant) in variants.iter().enumerate() {
        if builtin::contract(&variant.contract).is_none() {
            return Err(CompareError::UnknownContract {
                name: variant.contract.clone(),
                known: builtin::contract_names().collect::<Vec<_>>().join(", "),
            });
        }
        if variant.members_per_therapist < MIN_MEMBERS_PER_CLINICIAN {
            return Err(CompareError::RatioTooSmall);
        }
        if variants[..idx].iter().any(|earlier| {
            earlier.contract == variant.contract
                && earlier.members_per_therapist == variant.members_per_therapist
        }) {
            return Err(CompareError::Duplicate(variant.label.clone()));
        }
    }
    Ok(())
}

/// What a variant's generated region gives the comparison: recorded in a shard's part file, so
/// that merging needs no region.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RegionFigures {
    /// Members of the region.
    pub members: u32,
    /// Its internal clinicians' templates.
    pub templates: TemplateFigures,
}

/// One variant's runs: its region's figures and its replications (all of them, or a shard's),
/// in replication order.
#[derive(Clone, Debug)]
pub struct VariantRun {
    /// The variant.
    pub variant: Variant,
    /// Its region's figures.
    pub region: RegionFigures,
    /// Its replications.
    pub replications: Vec<Replication>,
}

/// The scenario with a variant's contract and staffing ratio in place of its own.
pub fn variant_scenario(scenario: &Scenario, variant: &Variant) -> Scenario {
    let mut run = scenario.clone();
    run.region.internal_contract = variant.contract.clone();
    run.region.members_per_therapist = variant.members_per_therapist;
    run
}

/// A generated region (taken out when its variant's last replication ends) and its figures.
type Generated = (Mutex<Option<Arc<Region>>>, RegionFigures);

/// What a job of [`run_variants`] ended with: a replication (none for a generation), or an
/// error (`None`: another job of the variant reports it).
type JobResult = Result<Option<Replication>, Option<CompareError>>;

/// A variant's region in [`run_variants`]'s pool: generated by whichever job asks first (the
/// others wait for it), let go when the variant's last replication ends.
struct VariantSlot {
    scenario: Scenario,
    /// The region (taken out when the last replication ends) and its figures, or the
    /// generator's error (taken by the first job that sees it).
    region: OnceLock<Result<Generated, Mutex<Option<SimError>>>>,
    /// Replications still to end.
    left: AtomicUsize,
}

impl VariantSlot {
    /// The region, generated now if no job has yet. `Err(None)`: another job reports the error.
    /// The generator makes no rayon job of its own: a thread waiting in one could be handed a
    /// job of the same variant and wait on itself.
    fn region(&self) -> Result<Arc<Region>, Option<SimError>> {
        let slot = self
            .region
            .get_or_init(|| match generate(&self.scenario.region) {
                Ok(region) => {
                    let figures = RegionFigures {
                        members: region.members.len() as u32,
                        templates: template_figures(&region),
                    };
                    Ok((Mutex::new(Some(Arc::new(region))), figures))
                }
                Err(error) => Err(Mutex::new(Some(SimError::from(error)))),
            });
        match slot {
            Ok((region, _)) => lock(region).clone().ok_or(None),
            Err(error) => Err(lock(error).take()),
        }
    }

    /// The region's figures, once generated.
    fn figures(&self) -> Option<RegionFigures> {
        match self.region.get()? {
            Ok((_, figures)) => Some(*figures),
            Err(_) => None,
        }
    }

    /// Counts a replication ended; the last one lets the region go.
    fn ended(&self) {
        if self.left.fetch_sub(1, Ordering::AcqRel) == 1
            && let Some(Ok((region, _))) = self.region.get()
        {
            lock(region).take();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One job of [`run_variants`]'s pool.
#[derive(Clone, Copy)]
enum Job {
    /// Generate a variant's region ahead of its replications.
    Generate(usize),
    /// Run replication `.1` of variant `.0`.
    Run(usize, u32),
}

/// Runs the replications `indices[v]` of each variant `variants[v]` (a variant with none is
/// skipped) and returns each variant run with its index, in variant order, its replications in
/// the order given. `progress` is told each simulated day that ends.
///
/// Every variant's replications are one pool of jobs, handed in order to the pool's threads as
/// they come free, each region generated one variant ahead: a variant's last replications share
/// the cores with the next variant's first, and the generator (one core) runs beside the
/// previous variant's replications, instead of every variant waiting for its generator and then
/// for its slowest replication. At most three regions are alive at once (one finishing, one
/// running, one generated ahead). Results do not depend on the order: replication `i` runs seed
/// `i` whoever runs it.
pub fn run_variants(
    scenario: &Scenario,
    variants: &[Variant],
    indices: &[Vec<u32>],
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<(usize, VariantRun)>, CompareError> {
    let of = |idx: usize| indices.get(idx).map_or(&[][..], Vec::as_slice);
    let slots: Vec<VariantSlot> = variants
        .iter()
        .enumerate()
        .map(|(idx, variant)| VariantSlot {
            scenario: variant_scenario(scenario, variant),
            region: OnceLock::new(),
            left: AtomicUsize::new(of(idx).len()),
        })
        .collect();
    let run: Vec<usize> = (0..variants.len())
        .filter(|idx| !of(*idx).is_empty())
        .collect();
    let mut jobs: Vec<Job> = run
        .first()
        .map(|first| Job::Generate(*first))
        .into_iter()
        .collect();
    for (at, idx) in run.iter().enumerate() {
        jobs.extend(run.get(at + 1).map(|next| Job::Generate(*next)));
        jobs.extend(of(*idx).iter().map(|index| Job::Run(*idx, *index)));
    }
    let failed = |idx: usize, source: SimError| CompareError::Simulation {
        label: variants[idx].label.clone(),
        source,
    };
    // `par_bridge` hands the jobs out in order, one at a time, to whichever thread is free.
    let mut done: Vec<(usize, Job, JobResult)> = jobs
        .into_iter()
        .enumerate()
        .par_bridge()
        .map(|(order, job)| {
            let result = match job {
                Job::Generate(idx) => slots[idx]
                    .region()
                    .map(|_| None)
                    .map_err(|error| error.map(|source| failed(idx, source))),
                Job::Run(idx, index) => {
                    let slot = &slots[idx];
                    let result = match slot.region() {
                        Ok(region) => model::run(&slot.scenario, &region, index, progress)
                            .map(Some)
                            .map_err(|source| Some(failed(idx, source))),
                        Err(error) => Err(error.map(|source| failed(idx, source))),
                    };
                    slot.ended();
                    result
                }
            };
            (order, job, result)
        })
        .collect();
    done.sort_by_key(|(order, _, _)| *order);
    let mut replications: Vec<Vec<Replication>> = vec![Vec::new(); variants.len()];
    for (_, job, result) in done {
        match (job, result) {
            (Job::Run(idx, _), Ok(Some(replication))) => replications[idx].push(replication),
            (_, Ok(_)) | (_, Err(None)) => {}
            // The first error in the jobs' order, as a sequential run would meet it.
            (_, Err(Some(error))) => return Err(error),
        }
    }
    run.into_iter()
        .map(|idx| {
            let region = slots[idx]
                .figures()
                .expect("a variant whose replications all ran has its region's figures");
            Ok((
                idx,
                VariantRun {
                    variant: variants[idx].clone(),
                    region,
                    replications: std::mem::take(&mut replications[idx]),
                },
            ))
        })
        .collect()
}

/// Runs `scenario` once per variant (its contract and staffing ratio replacing the scenario's),
/// every variant with the scenario's seeds, and compares them. `progress(done, total)` counts
/// simulated days over every replication of every variant.
pub fn compare(
    scenario: &Scenario,
    variants: &[Variant],
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<Comparison, CompareError> {
    check_variants(variants)?;
    let dates = Dates::of(scenario).map_err(|source| CompareError::Simulation {
        label: variants[0].label.clone(),
        source,
    })?;
    let per_variant = u64::from(dates.days()) * u64::from(scenario.simulation.replications);
    let total = per_variant * variants.len() as u64;
    let done = AtomicU64::new(0);
    let every: Vec<u32> = (0..scenario.simulation.replications).collect();
    let indices = vec![every; variants.len()];
    let runs = run_variants(scenario, variants, &indices, &|| {
        let now = done.fetch_add(1, Ordering::Relaxed) + 1;
        progress(now, total);
    })?
    .into_iter()
    .map(|(_, run)| run)
    .collect();
    comparison(scenario, runs)
}

/// The comparison of every variant's runs (each with all of the scenario's replications, in
/// order): what [`compare`] returns, and what merging shards' parts gives, by the same code.
pub fn comparison(scenario: &Scenario, runs: Vec<VariantRun>) -> Result<Comparison, CompareError> {
    let Some(last) = runs.last() else {
        return Err(CompareError::NoVariants);
    };
    // The heading's members are the last variant's region's (variants with another ratio have
    // another region).
    let members = last.region.members;
    let dates = Dates::of(scenario).map_err(|source| CompareError::Simulation {
        label: last.variant.label.clone(),
        source,
    })?;
    let mut results = Vec::with_capacity(runs.len());
    for run in runs {
        let variant_scenario = variant_scenario(scenario, &run.variant);
        let summary =
            summarise(&variant_scenario, &dates, &run.replications).map_err(|source| {
                CompareError::Simulation {
                    label: run.variant.label.clone(),
                    source,
                }
            })?;
        let internal_visits_per_week = internal_visits_per_week(&summary, &run.replications);
        let protected_hours = protected_hours(&run.variant.contract).ok_or_else(|| {
            CompareError::UnknownContract {
                name: run.variant.contract.clone(),
                known: builtin::contract_names().collect::<Vec<_>>().join(", "),
            }
        })?;
        results.push(VariantResult {
            variant: run.variant,
            protected_hours,
            templates: run.region.templates,
            summary,
            internal_visits_per_week,
        });
    }
    let rows = ROWS
        .iter()
        .map(|(slug, title, unit, source)| ComparedRow {
            slug,
            title,
            unit: *unit,
            cells: results
                .iter()
                .map(|result| row_estimate(result, *source))
                .collect(),
        })
        .collect();
    let protected_hour_costs = protected_hour_costs(&results);
    let first = &results[0].summary;
    Ok(Comparison {
        scenario: scenario.name.clone(),
        title: scenario.title.clone(),
        scale: scenario.region.scale,
        members,
        rule_set: first.rule_set.clone(),
        threshold: first.threshold,
        initial_standard_business_days: business_days(scenario, RequestKind::Initial),
        follow_up_standard_business_days: business_days(scenario, RequestKind::FollowUp),
        period: first.period,
        replications: scenario.simulation.replications,
        seed: scenario.simulation.seed,
        variants: results,
        rows,
        protected_hour_costs,
    })
}

/// The rule set's standard for `kind` when it is counted in business days.
fn business_days(scenario: &Scenario, kind: RequestKind) -> Option<u32> {
    scenario
        .rules
        .rule(kind)
        .and_then(|rule| match rule.within {
            Within::BusinessDays(days) => Some(days),
            _ => None,
        })
}

/// Each replication's visits kept with internal clinicians (the workforce report's sessions:
/// visits that took place in the period) per week of the period.
fn internal_visits_per_week(summary: &Summary, replications: &[Replication]) -> Vec<f64> {
    let weeks = weeks(summary.period);
    replications
        .iter()
        .map(|replication| replication.report.workforce.sessions as f64 / weeks)
        .collect()
}

/// The same value in every replication (a property of the region): an interval of width zero.
pub(crate) fn constant(value: f64, replications: u32) -> Estimate {
    Estimate::of(&vec![Some(value); replications as usize])
}

fn row_estimate(result: &VariantResult, source: Source) -> Estimate {
    let replications = result.summary.replications;
    match source {
        Source::Cell(table, row, column) => {
            result.summary.cell(table, row, column).unwrap_or(Estimate {
                mean: None,
                half_width: None,
                n: 0,
            })
        }
        Source::Therapists => constant(f64::from(result.templates.therapists), replications),
        Source::TherapistFte => constant(result.templates.therapist_fte, replications),
        Source::InternalVisitsPerWeek => Estimate::of(
            &result
                .internal_visits_per_week
                .iter()
                .map(|visits| Some(*visits))
                .collect::<Vec<_>>(),
        ),
    }
}

/// Every pair of variants with the same ratio and different protected hours, in the variants'
/// order, each from fewer to more protected hours.
fn protected_hour_costs(results: &[VariantResult]) -> Vec<ProtectedHourCost> {
    let mut costs = Vec::new();
    for (i, first) in results.iter().enumerate() {
        for (j, second) in results.iter().enumerate().skip(i + 1) {
            if first.variant.members_per_therapist != second.variant.members_per_therapist
                || first.protected_hours == second.protected_hours
            {
                continue;
            }
            let (from, to) = if first.protected_hours < second.protected_hours {
                (i, j)
            } else {
                (j, i)
            };
            let (fewer, more) = (&results[from], &results[to]);
            let added = more.protected_hours - fewer.protected_hours;
            let per_hour = |fewer: f64, more: f64| (fewer - more) / added;
            // Replication i of both variants ran the same seed: the paired differences.
            let differences: Vec<Option<f64>> = fewer
                .internal_visits_per_week
                .iter()
                .zip(&more.internal_visits_per_week)
                .map(|(fewer, more)| Some(per_hour(*fewer, *more)))
                .collect();
            costs.push(ProtectedHourCost {
                from,
                to,
                members_per_therapist: fewer.variant.members_per_therapist,
                protected_hours_added: added,
                direct_hours: per_hour(
                    fewer.templates.direct_minutes as f64,
                    more.templates.direct_minutes as f64,
                ) / 60.0,
                therapist_fte: fewer.templates.therapist_fte,
                hour_appointments: per_hour(
                    fewer.templates.hour_appointments as f64,
                    more.templates.hour_appointments as f64,
                ),
                psychiatrist_direct_hours: per_hour(
                    fewer.templates.psychiatrist_direct_minutes as f64,
                    more.templates.psychiatrist_direct_minutes as f64,
                ) / 60.0,
                simulated: Estimate::of(&differences),
            });
        }
    }
    costs
}

impl Comparison {
    /// A pair's label: `socal-2025 → employer-2024 (1:3000)`.
    pub fn pair_label(&self, cost: &ProtectedHourCost) -> String {
        format!(
            "{} → {} (1:{})",
            self.variants[cost.from].variant.contract,
            self.variants[cost.to].variant.contract,
            cost.members_per_therapist
        )
    }

    /// The protected hours a pair goes from and to: `5.0 → 6.0`.
    pub(crate) fn protected_hours_change(&self, cost: &ProtectedHourCost) -> String {
        format!(
            "{} → {}",
            number(Unit::Number, self.variants[cost.from].protected_hours),
            number(Unit::Number, self.variants[cost.to].protected_hours)
        )
    }

    /// A pair's figures for people, as the text and the HTML page show them after its label: the
    /// protected hours it goes from and to, then direct hours, therapist FTE, one-hour
    /// appointments and psychiatrist hours lost (template arithmetic), then the internal visits
    /// lost (simulated).
    pub(crate) fn cost_cells(&self, cost: &ProtectedHourCost) -> Vec<String> {
        vec![
            self.protected_hours_change(cost),
            number(Unit::Number, cost.direct_hours),
            number(Unit::Number, cost.therapist_fte),
            number(Unit::Number, cost.hour_appointments),
            number(Unit::Number, cost.psychiatrist_direct_hours),
            cell(Unit::Number, &cost.simulated),
        ]
    }
}

/// The employer's claim the per-protected-hour figures answer, as the press reported it.
pub const EMPLOYER_CLAIM: &str = "The employer said in the 2024-25 dispute (as reported, not \
     verified here): each extra hour a week off patient care across all therapists costs over \
     1,300 appointments a week.";

/// What the per-protected-hour columns mean, for the text and the HTML page.
pub fn protected_hour_note(scale: f64) -> String {
    format!(
        "Per protected hour added to the full-time week. Direct h lost: template arithmetic, the \
         internal therapists' direct and urgent-hold hours a week (one per protected hour per \
         FTE, so it equals their FTE). 1-h appointments lost: the one-hour appointments that fit \
         in those templates on the book's 15-minute grid. Psychiatrist h lost: the same \
         arithmetic for the internal psychiatrists, whose templates follow the same contract. \
         Simulated: the paired replications' difference in visits kept with internal clinicians \
         a week (psychiatrists' included). All for the simulated region, at scale {scale}."
    )
}

/// `text` broken into lines of at most `width` characters at spaces (a longer word stays whole).
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line_length = 0;
    for word in text.split_whitespace() {
        let length = word.chars().count();
        if line_length > 0 && line_length + 1 + length > width {
            out.push('\n');
            line_length = 0;
        } else if line_length > 0 {
            out.push(' ');
            line_length += 1;
        }
        out.push_str(word);
        line_length += length;
    }
    out
}

/// The text's heading lines after the title: the region, the period and the replications.
fn heading_lines(comparison: &Comparison) -> Vec<String> {
    vec![
        format!(
            "region at scale {} ({} members); rule set {}{}",
            comparison.scale,
            thousands(u64::from(comparison.members)),
            comparison.rule_set,
            comparison
                .threshold
                .map_or(String::new(), |threshold| format!(
                    " (threshold {:.0}%: a census rate of providers)",
                    threshold * 100.0
                )),
        ),
        format!(
            "requests of {} to {}; {} replication{} per variant, the same seeds (from {}) in \
             every variant",
            comparison.period.0,
            comparison.period.1,
            comparison.replications,
            if comparison.replications == 1 {
                ""
            } else {
                "s"
            },
            comparison.seed,
        ),
        "mean ± half-width of the 95% confidence interval".to_owned(),
    ]
    .into_iter()
    .chain(interval_warning(comparison.replications).map(|warning| format!("warning: {warning}")))
    .collect()
}

/// The comparison as aligned text: the side-by-side table, then what each protected hour costs.
pub fn text(comparison: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} (compared)",
        comparison.scenario, comparison.title
    );
    for line in heading_lines(comparison) {
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(out);
    let mut grid = vec![
        std::iter::once(String::new())
            .chain(
                comparison
                    .variants
                    .iter()
                    .map(|result| result.variant.contract.clone()),
            )
            .collect::<Vec<_>>(),
        std::iter::once(String::new())
            .chain(
                comparison
                    .variants
                    .iter()
                    .map(|result| format!("1:{}", result.variant.members_per_therapist)),
            )
            .collect(),
    ];
    for row in &comparison.rows {
        grid.push(
            std::iter::once(row.title.to_owned())
                .chain(row.cells.iter().map(|estimate| cell(row.unit, estimate)))
                .collect(),
        );
    }
    out.push_str(&aligned(&grid));

    let _ = writeln!(
        out,
        "\nAppointments a week each protected hour costs (per protected hour added to the \
         full-time week)"
    );
    if comparison.protected_hour_costs.is_empty() {
        let _ = writeln!(
            out,
            "nothing to price: no two variants share a staffing ratio with different protected \
             hours"
        );
    } else {
        let mut grid = vec![vec![
            String::new(),
            "protected h".to_owned(),
            "direct h lost".to_owned(),
            "therapist FTE".to_owned(),
            "1-h appointments lost".to_owned(),
            "psychiatrist h lost".to_owned(),
            "internal visits lost (simulated)".to_owned(),
        ]];
        for cost in &comparison.protected_hour_costs {
            grid.push(
                std::iter::once(comparison.pair_label(cost))
                    .chain(comparison.cost_cells(cost))
                    .collect(),
            );
        }
        out.push_str(&aligned(&grid));
        for paragraph in [
            protected_hour_note(comparison.scale),
            EMPLOYER_CLAIM.to_owned(),
        ] {
            let _ = writeln!(out, "\n{}", wrap(&paragraph, 100));
        }
    }
    out
}

/// The comparison as one JSON document, each variant's whole summary included.
pub fn json(comparison: &Comparison) -> Value {
    json!({
        "scenario": comparison.scenario,
        "title": comparison.title,
        "scale": comparison.scale,
        "members": comparison.members,
        "rule_set": comparison.rule_set,
        "threshold": comparison.threshold,
        "period": {
            "first": comparison.period.0.to_string(),
            "last": comparison.period.1.to_string(),
        },
        "replications": comparison.replications,
        "ci95_warning": interval_warning(comparison.replications),
        "seed": comparison.seed,
        "variants": comparison.variants.iter().map(|result| json!({
            "label": result.variant.label,
            "contract": result.variant.contract,
            "members_per_therapist": result.variant.members_per_therapist,
            "protected_hours": result.protected_hours,
            "templates": {
                "therapists": result.templates.therapists,
                "therapist_fte": result.templates.therapist_fte,
                "direct_minutes_per_week": result.templates.direct_minutes,
                "hour_appointments_per_week": result.templates.hour_appointments,
                "psychiatrist_direct_minutes_per_week":
                    result.templates.psychiatrist_direct_minutes,
            },
            "internal_visits_per_week": result.internal_visits_per_week,
        })).collect::<Vec<_>>(),
        "rows": comparison.rows.iter().map(|row| json!({
            "row": row.slug,
            "title": row.title,
            "unit": unit_slug(row.unit),
            "cells": row.cells.iter().map(estimate_json).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "protected_hour_costs": comparison.protected_hour_costs.iter().map(|cost| json!({
            "from": comparison.variants[cost.from].variant.label,
            "to": comparison.variants[cost.to].variant.label,
            "members_per_therapist": cost.members_per_therapist,
            "protected_hours_added": cost.protected_hours_added,
            "template_direct_hours": cost.direct_hours,
            "therapist_fte": cost.therapist_fte,
            "template_hour_appointments": cost.hour_appointments,
            "psychiatrist_direct_hours": cost.psychiatrist_direct_hours,
            "simulated_internal_visits": estimate_json(&cost.simulated),
        })).collect::<Vec<_>>(),
        "employer_claim": EMPLOYER_CLAIM,
        "summaries": comparison
            .variants
            .iter()
            .map(|result| crate::render::json(&result.summary))
            .collect::<Vec<_>>(),
    })
}

/// The comparison as CSV, one line per figure:
/// `scenario,table,row,variant,contract,members_per_therapist,unit,mean,ci95_half_width,n`. The
/// side-by-side table is `compare`; the per-protected-hour figures are `protected-hour-cost`,
/// whose variant is the pair and whose contract is `from->to`.
pub fn csv(comparison: &Comparison) -> Result<String, csv::Error> {
    let mut figures = Vec::new();
    for row in &comparison.rows {
        for (result, estimate) in comparison.variants.iter().zip(&row.cells) {
            figures.push((
                [
                    comparison.scenario.clone(),
                    "compare".to_owned(),
                    row.slug.to_owned(),
                    result.variant.label.clone(),
                    result.variant.contract.clone(),
                    result.variant.members_per_therapist.to_string(),
                    unit_slug(row.unit).to_owned(),
                ],
                *estimate,
            ));
        }
    }
    for cost in &comparison.protected_hour_costs {
        let pair = comparison.pair_label(cost);
        let contracts = format!(
            "{}->{}",
            comparison.variants[cost.from].variant.contract,
            comparison.variants[cost.to].variant.contract
        );
        let exact = |value: f64| Estimate {
            mean: Some(value),
            half_width: None,
            n: 1,
        };
        for (slug, estimate) in [
            ("protected-hours-added", exact(cost.protected_hours_added)),
            ("template-direct-hours", exact(cost.direct_hours)),
            ("therapist-fte", exact(cost.therapist_fte)),
            ("template-hour-appointments", exact(cost.hour_appointments)),
            (
                "psychiatrist-direct-hours",
                exact(cost.psychiatrist_direct_hours),
            ),
            ("simulated-internal-visits", cost.simulated),
        ] {
            figures.push((
                [
                    comparison.scenario.clone(),
                    "protected-hour-cost".to_owned(),
                    slug.to_owned(),
                    pair.clone(),
                    contracts.clone(),
                    cost.members_per_therapist.to_string(),
                    "number".to_owned(),
                ],
                estimate,
            ));
        }
    }
    figures_csv(
        [
            "scenario",
            "table",
            "row",
            "variant",
            "contract",
            "members_per_therapist",
            "unit",
        ],
        figures,
    )
}

#[cfg(test)]
mod tests {
    use caretime_core::region::Fte;
    use caretime_core::template::standard_template;

    use super::*;

    /// One-hour appointments in a full-time standard week of a built-in contract.
    fn full_time(contract: &str) -> u32 {
        let contract = builtin::contract(contract).expect("built in");
        hour_appointments(&standard_template(&contract, Fte::FULL_TIME))
    }

    #[test]
    fn one_hour_appointments_fit_on_the_quarter_hour_grid() {
        // The standard week lays time out in whole hours: 1 protected hour a day from Monday on
        // (a second one on Monday for the sixth hour, on Tuesday for the seventh), urgent holds
        // on Monday and Tuesday, meeting hours on Friday and Thursday and the half hour beyond
        // them at the end of Friday. socal-2025 (5 protected hours): Monday and Tuesday 6
        // direct appointments and 1 in the urgent hold, Wednesday 7, Thursday 6, Friday 5 (2.5
        // direct hours after lunch, half an hour left): 32.
        assert_eq!(full_time("socal-2025"), 32);
        // employer-2024 and union-2024: each protected hour more costs one appointment.
        assert_eq!(full_time("employer-2024"), 31);
        assert_eq!(full_time("union-2024"), 30);
    }
}
